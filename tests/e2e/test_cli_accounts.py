"""Accounts and bad input at the shell: each refusal is a clear Chinese error with its exit code, and changes
nothing (issue 12: the defects found when the CLI was tried with bad input)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.bootstrap import open_workflow
from engine.config import Settings
from engine.services.accounts import token_user
from tests.e2e.test_cli_workflow import SAMPLE, run
from tests.support.docx_fixtures import made_by_python_docx
from tests.support.paths import ROOT
from tests.support.portal import SHANGHAI


def banfa_with_input(data: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", "--data-dir", str(data), *args],
        input=text,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=os.environ.copy(),
        timeout=120,
        check=False,
    )


def refused(result: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def events(data: Path, duty_id: str = SAMPLE) -> list[tuple[str, str]]:
    workflow = open_workflow(Settings(data_dir=data).resolved())
    with workflow.ports.uow() as uow:
        found = [(e.action, e.reason) for e in uow.duties.get(duty_id).events]
    workflow.db_engine.dispose()
    return found


@pytest.fixture
def started(data: Path) -> Path:
    assert run(data, "start", SAMPLE, "--as", "zhang", "--now", "2007-09-11T09:30").returncode == 0
    return data


# --- accounts ---------------------------------------------------------------------------------------------------


def test_an_existing_account_is_not_overwritten_and_update_changes_it(data: Path) -> None:
    refused(
        run(data, "user", "add", "zhang", "--name", "另一人", "--dept", "maogong", "--role", "admin"),
        1,
        "已存在",
    )
    changed = run(data, "user", "update", "zhang", "--email", "zhang@caizheng.example")
    assert changed.returncode == 0 and "zhang" in changed.stdout
    listed = run(data, "user", "list").stdout
    assert "zhang" in listed and "承办人" in listed and "未设密码" in listed


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--name", "神", "--dept", "caizheng", "--role", "god"], "未知角色：god"),
        (["--name", "孙", "--dept", "caizheng", "--role", "officer", "--email", "not-an-email"], "电子邮件"),
        (["--name", "", "--dept", "caizheng", "--role", "officer"], "姓名不能为空"),
        (["--name", "孙", "--dept", "火星局", "--role", "officer"], "火星局"),
    ],
)
def test_a_bad_account_is_refused_in_chinese_without_a_traceback(
    data: Path, args: list[str], words: str
) -> None:
    refused(run(data, "user", "add", "sun", *args), 1, words)
    assert "sun" not in run(data, "user", "list").stdout


def test_a_password_is_read_from_standard_input_and_a_weak_one_refused(data: Path) -> None:
    refused(banfa_with_input(data, "short\n", "user", "passwd", "zhang", "--stdin"), 1, "至少 8")
    done = banfa_with_input(data, "abc12345\n", "user", "passwd", "zhang", "--stdin")
    assert done.returncode == 0 and "abc12345" not in done.stdout + done.stderr
    assert "正常" in run(data, "user", "list").stdout


def test_a_disabled_account_may_not_act(data: Path) -> None:
    assert run(data, "user", "disable", "zhang").returncode == 0
    refused(run(data, "start", SAMPLE, "--as", "zhang", "--now", "2007-09-11T09:30"), 6, "停用")
    assert events(data)[-1][0] == "ingest"


def test_system_is_refused_to_every_verb(data: Path) -> None:
    refused(run(data, "start", SAMPLE, "--as", "system", "--now", "2007-09-11T09:30"), 6, "system")
    refused(run(data, "ingest", "--as", "system", "--now", "2007-09-11T10:00"), 6, "system")


def test_the_registry_contacts_become_accounts(tmp_path: Path) -> None:
    data = tmp_path / "var"
    env = {**os.environ, "BANFA_DEMO_CONTACTS": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "engine", "--data-dir", str(data), "user", "import"],
        capture_output=True, text=True, encoding="utf-8", cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "新建账号" in done.stdout, done.stderr
    assert "停用" in run(data, "user", "list").stdout


def test_init_gives_a_new_installation_its_admin_once(tmp_path: Path) -> None:
    data = tmp_path / "var"
    first = run(data, "init")
    assert first.returncode == 0 and "初始密码" in first.stdout, first.stderr
    again = run(data, "init")
    assert again.returncode == 0 and "初始密码" not in again.stdout and "已存在" in again.stdout


# --- time ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T23:59"])
@pytest.mark.parametrize("verb", [["start", SAMPLE, "--as", "zhang"], ["status"], ["reminders", "send-due"]])
def test_a_moment_outside_2000_to_2099_is_a_usage_error(data: Path, verb: list[str], moment: str) -> None:
    refused(run(data, *verb, "--now", moment), 2, "2000")


def test_an_action_dated_before_the_duty_last_event_is_refused(started: Path) -> None:
    refused(run(started, "consult", SAMPLE, "--as", "zhang", "--now", "2007-09-10T09:00"), 1, "早于")
    assert [a for a, _ in events(started)] == ["ingest", "start"]


def test_a_stale_expected_version_is_refused_and_the_current_one_accepted(started: Path) -> None:
    refused(
        run(
            started, "consult", SAMPLE, "--as", "zhang", "--now", "2007-09-28T10:00", "--expect-version", "1"
        ),
        1,
        "刷新后重试",
    )
    shown = run(started, "upload", SAMPLE, started / "nothing.docx", "--as", "zhang")  # a missing file: usage
    assert shown.returncode == 2
    # the start saved the duty and the drafting documents' finish saved it again: version 3
    ok = run(
        started, "consult", SAMPLE, "--as", "zhang", "--now", "2007-09-28T10:00", "--expect-version", "3"
    )
    assert ok.returncode == 0, ok.stderr


# --- opinions files -------------------------------------------------------------------------------------------


@pytest.fixture
def consulting(started: Path) -> Path:
    assert run(started, "consult", SAMPLE, "--as", "zhang", "--now", "2007-09-28T10:00").returncode == 0
    return started


def opinions(folder: Path, body: str) -> Path:
    path = folder / "opinions.toml"
    path.write_text(body, "utf-8")
    return path


@pytest.mark.parametrize("name", ["/etc/passwd", "../secret.txt", "link.txt", "sub/file.txt", "missing.txt"])
def test_an_attachment_outside_the_opinions_folder_is_refused_and_nothing_is_read(
    consulting: Path, tmp_path: Path, name: str
) -> None:
    folder = tmp_path / "reply"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "file.txt").write_text("x", "utf-8")
    (tmp_path / "secret.txt").write_text("secret", "utf-8")
    (folder / "link.txt").symlink_to(tmp_path / "secret.txt")
    path = opinions(folder, f'[[opinion]]\nclause = "第二条"\ntext = "建议"\nattachments = ["{name}"]\n')
    refused(
        run(consulting, "opinion", SAMPLE, "--as", "li", "--file", path, "--now", "2007-10-08T10:00"),
        1,
        "同一目录",
    )
    assert events(consulting)[-1][0] == "open_consultation"


def test_a_text_that_is_not_a_string_is_refused_and_an_integer_clause_is_an_article(
    consulting: Path, tmp_path: Path
) -> None:
    bad = opinions(tmp_path, '[[opinion]]\nclause = "第二条"\ntext = ["x"]\n')
    refused(
        run(consulting, "opinion", SAMPLE, "--as", "li", "--file", bad, "--now", "2007-10-08T10:00"),
        1,
        "text",
    )
    good = opinions(tmp_path, '[[opinion]]\nclause = 3\ntext = "建议明确标准"\n')
    assert (
        run(
            consulting, "opinion", SAMPLE, "--as", "li", "--file", good, "--now", "2007-10-08T10:00"
        ).returncode
        == 0
    )
    workflow = open_workflow(Settings(data_dir=consulting).resolved())
    with workflow.ports.uow() as uow:
        [opinion] = uow.duties.get(SAMPLE).opinions
    workflow.db_engine.dispose()
    assert (opinion.clause, opinion.text) == ("第三条", "建议明确标准")


def test_a_paper_reply_is_recorded_by_the_lead_officer_and_says_who_recorded_it(consulting: Path) -> None:
    refused(
        run(
            consulting,
            "opinion",
            SAMPLE,
            "--as",
            "li",
            "--dept",
            "市人事局",
            "--none",
            "--now",
            "2007-10-08T10:00",
        ),
        6,
        "",
    )
    done = run(
        consulting,
        "opinion",
        SAMPLE,
        "--as",
        "zhang",
        "--dept",
        "市贸工局",
        "--none",
        "--now",
        "2007-10-08T10:00",
    )
    assert done.returncode == 0, done.stderr
    assert events(consulting)[-1] == ("reply", "maogong（纸质答复，由 zhang 代录）")


# --- uploads --------------------------------------------------------------------------------------------------


def test_an_identical_upload_changes_nothing_and_says_so(started: Path, tmp_path: Path) -> None:
    draft = tmp_path / "修改稿.docx"
    draft.write_bytes(made_by_python_docx("深圳市服务外包人才培训资助资金使用和监管办法", "第一条 为了……"))
    assert run(started, "upload", SAMPLE, draft, "--as", "zhang", "--now", "2007-09-20T10:00").returncode == 0
    before = events(started)
    again = run(started, "upload", SAMPLE, draft, "--as", "zhang", "--now", "2007-09-21T10:00")
    assert again.returncode == 0 and "与最新版本相同" in again.stdout
    assert events(started) == before


def test_a_draft_titled_as_another_duty_is_refused_and_an_unknown_title_kept_with_a_warning(
    started: Path, tmp_path: Path
) -> None:
    other = tmp_path / "另一项.docx"
    other.write_bytes(made_by_python_docx("深圳市鼓励服务外包产业发展实施办法", "第一条 为了……"))
    refused(
        run(started, "upload", SAMPLE, other, "--as", "zhang", "--now", "2007-09-20T10:00"), 1, "另一项任务"
    )
    unknown = tmp_path / "新标题.docx"
    unknown.write_bytes(made_by_python_docx("关于某事的暂行规定", "第一条 为了……"))
    kept = run(started, "upload", SAMPLE, unknown, "--as", "zhang", "--now", "2007-09-20T10:00")
    assert kept.returncode == 0 and "不一致" in kept.stderr, kept.stderr


def test_user_token_prints_a_token_once_that_the_api_takes_and_revoke_ends_it(data: Path) -> None:
    made = run(data, "user", "token", "zhang", "--expires", "30")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("banfa_") and "只显示这一次" in made.stderr
    workflow = open_workflow(Settings(data_dir=data).resolved())
    try:
        now = dt.datetime(2007, 9, 12, 9, tzinfo=SHANGHAI)
        user = token_user(token, now=now, ports=workflow.ports)
        assert user is not None and user.id == "zhang"
        refused(run(data, "user", "token", "nobody"), 1, "没有该用户")
        refused(run(data, "user", "token", "zhang", "--expires", "0"), 1, "有效天数")
        revoked = run(data, "user", "token", "zhang", "--revoke")
        assert revoked.returncode == 0 and "令牌 1 个" in revoked.stdout
        assert token_user(token, now=now, ports=workflow.ports) is None
    finally:
        workflow.db_engine.dispose()
