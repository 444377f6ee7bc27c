"""The workflow verbs as people run them, and the 2007 replay."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.bootstrap import open_workflow
from engine.config import Settings
from engine.domain.drafting.versions import DocumentKind
from tests.e2e.test_cli import banfa

SAMPLE = "sfb2007-129-02-02-1-caizheng"


def run(data: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return banfa("--data-dir", data, *args)


def test_an_officer_drives_a_duty_from_the_cli_and_show_tells_the_story(data: Path, tmp_path: Path) -> None:
    steps = [
        ("start", SAMPLE, "--as", "zhang", "--now", "2007-09-11T09:30"),
        ("consult", SAMPLE, "--as", "zhang", "--now", "2007-09-28T10:00"),
        ("close", SAMPLE, "--as", "zhang", "--now", "2007-10-13T09:00"),
        ("submit", SAMPLE, "--as", "zhang", "--now", "2007-10-15T09:00"),
        ("review", SAMPLE, "--as", "fa", "--outcome", "合法", "--now", "2007-10-22T09:00"),
        ("deliberate", SAMPLE, "--approve", "--as", "office", "--now", "2007-10-25T09:00"),
        (
            "publish",
            SAMPLE,
            "--as",
            "zhang",
            "--number",
            "深财〔2007〕35号",
            "--date",
            "2007-10-26",
            "--effective",
            "2008-01-01",
            "--now",
            "2007-10-26T09:00",
        ),
        ("file", SAMPLE, "--as", "zhang", "--date", "2007-10-29", "--now", "2007-10-29T09:00"),
    ]
    for step in steps:
        result = run(data, *step)
        assert result.returncode == 0, (step, result.stderr)
    shown = run(data, "show", SAMPLE)
    assert shown.returncode == 0
    for expected in (
        "已备案",
        "逾期未反馈",
        "征求意见函-市贸工局.docx",
        "送审稿.docx",
        "发布稿.docx",
        "2007-10-12",
    ):
        assert expected in shown.stdout


def test_refusals_get_their_exit_codes_and_change_nothing(data: Path) -> None:
    forbidden = run(data, "start", SAMPLE, "--as", "wang", "--now", "2007-09-11T09:30")
    assert forbidden.returncode == 6 and "无权" in forbidden.stderr and "Traceback" not in forbidden.stderr
    illegal = run(data, "submit", SAMPLE, "--as", "zhang")
    assert illegal.returncode == 1 and "不能执行" in illegal.stderr
    unknown = run(data, "start", "no-such-duty", "--as", "zhang")
    assert unknown.returncode == 1 and "没有该任务" in unknown.stderr
    nobody = run(data, "start", SAMPLE, "--as", "nobody")
    assert nobody.returncode == 1 and "没有该用户" in nobody.stderr
    bad_time = run(data, "start", SAMPLE, "--as", "zhang", "--now", "yesterday")
    assert bad_time.returncode == 2
    assert "未启动" in run(data, "status", "--today", "2007-09-12").stdout


def test_opinions_come_from_a_toml_file_and_a_bad_one_is_refused(data: Path, tmp_path: Path) -> None:
    for step in (
        ("start", SAMPLE, "--as", "zhang", "--now", "2007-09-11T09:30"),
        ("consult", SAMPLE, "--as", "zhang", "--now", "2007-09-28T10:00"),
    ):
        assert run(data, *step).returncode == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[[opinion]]\nclause = '第二条'\n", "utf-8")
    refused = run(data, "opinion", SAMPLE, "--as", "li", "--file", bad, "--now", "2007-10-08T10:00")
    assert refused.returncode == 1 and "意见文件" in refused.stderr
    good = tmp_path / "opinions.toml"
    good.write_text('[[opinion]]\nclause = "第二条"\ntext = "建议写明适用范围。"\n', "utf-8")
    assert (
        run(data, "opinion", SAMPLE, "--as", "li", "--file", good, "--now", "2007-10-08T10:00").returncode
        == 0
    )
    shown = run(data, "show", SAMPLE).stdout
    assert "建议写明适用范围" in shown and "待处理" in shown


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`banfa demo` into a new folder, once for the tests of this module that read what it made."""
    folder = tmp_path_factory.mktemp("replay") / "demo"
    return folder, banfa("demo", "--data-dir", folder)


@pytest.mark.slow
def test_the_demo_replays_2007_and_every_duty_reaches_its_end(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, result = demo
    assert result.returncode == 0, result.stderr[-2000:]
    assert "任务 22 项，办结 22 项" in result.stdout
    assert "已报送" in result.stdout and "已备案" in result.stdout
    assert str(folder.resolve()) in result.stdout.replace("\n", "")
    again = banfa("demo", "--data-dir", folder)
    assert again.returncode == 2 and "不为空" in again.stderr


@pytest.mark.slow
def test_the_documents_the_demo_made_pass_the_gbt9704_checker(
    demo: tuple[Path, subprocess.CompletedProcess[str]], shared: Path, tmp_path: Path
) -> None:
    folder, result = demo
    assert result.returncode == 0, result.stderr[-2000:]
    workflow = open_workflow(Settings(data_dir=folder).resolved())
    store = workflow.ports.documents
    kinds = (DocumentKind.PUBLISHED, DocumentKind.CONSULTATION_LETTER, DocumentKind.ADOPTION_TABLE)
    paths = []
    for kind in kinds:
        version = next(v for v in store.versions(SAMPLE, kind))
        paths.append(tmp_path / f"{kind.value}.docx")
        paths[-1].write_bytes(store.read(version.id))
    workflow.db_engine.dispose()
    check = subprocess.run(
        [sys.executable, str(shared / "tools" / "gbt9704_check.py"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout


def test_a_database_that_is_down_is_said_in_chinese_without_a_traceback(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres:secret@127.0.0.1:1/banfa?connect_timeout=2"
    result = banfa("--data-dir", tmp_path, "status", env={"BANFA_DATABASE_URL": url})
    assert result.returncode == 1, result.stderr
    assert "数据库暂时无法使用" in result.stderr
    assert "Traceback" not in result.stderr and "secret" not in result.stderr
