"""The `banfa` command as people and scripts run it: a real process, real files, real exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT, RULES, SEED

NOTICES = ROOT / "tests" / "notices"


def banfa(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter, as `banfa …` does."""
    return subprocess.run(
        [sys.executable, "-m", "engine", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    return copy


def test_intake_prints_every_duty_with_drafting_marked() -> None:
    run = banfa("intake", SEED)
    assert run.returncode == 0, run.stderr
    assert "共 48 项任务，其中起草任务 22 项" in run.stdout
    assert "深圳市服务外包人才培训资助资金使用和监管办法" in run.stdout


def test_intake_json_is_the_only_thing_on_stdout() -> None:
    run = banfa("intake", SEED, "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert set(data) == {"notice", "registry", "deadline", "last_working_day", "duties"}
    assert data["registry"] == "shenzhen-2007"
    assert data["notice"] == {
        "id": "sfb2007-129",
        "title": "深圳市人民政府办公厅关于全市服务外包工作部门分工的通知",
        "number": "深府办〔2007〕129号",
        "issuer": "深圳市人民政府办公厅",
        "date": "2007-08-24",
        "published": "2007-09-11",
    }
    assert (data["deadline"], data["last_working_day"]) == ("2007-12-31", "2007-12-29")
    duty = next(d for d in data["duties"] if d["id"] == "sfb2007-129-02-02-1-caizheng")
    assert duty == {
        "id": "sfb2007-129-02-02-1-caizheng",
        "ref": "深府办〔2007〕129号 二(二)-1 市财政局",
        "location": "二(二)-1",
        "lead": "市财政局",
        "department": "深圳市财政局",
        "co_departments": ["深圳市贸易工业局"],
        "co_departments_as_written": ["贸工"],
        "co_open": True,
        "text": "会同贸工等部门研究和制定服务外包人才培训资助资金的使用和监管办法",
        "document": "服务外包人才培训资助资金的使用和监管办法",
        "title": "深圳市服务外包人才培训资助资金使用和监管办法",
        "kind": "办法",
        "track": "规范性文件",
        "basis": [],
        "deadline": "2007-12-31",
        "last_working_day": "2007-12-29",
        "recurring": None,
        "drafting": True,
        "generic": False,
        "addressee": None,
        "evidence": "会同贸工等部门研究和制定服务外包人才培训资助资金的使用和监管办法",
        "deadline_note": None,
    }
    assert sum(d["drafting"] for d in data["duties"]) == 22
    assert all(d["kind"] is None for d in data["duties"] if not d["drafting"])


def test_an_unknown_department_is_kept_as_null_with_a_warning_on_stderr(rules: Path) -> None:
    shutil.copy(NOTICES / "suifuban-2013-27.registry.toml", rules / "departments.toml")
    (rules / "demo-contacts.toml").unlink()
    run = banfa("--rules-dir", rules, "intake", NOTICES / "suifuban-2013-27.txt", "--json")
    assert run.returncode == 0, run.stderr
    unknown = [d for d in json.loads(run.stdout)["duties"] if d["lead"] == "市港务局"]
    assert unknown and all(d["department"] is None for d in unknown)
    assert "市港务局" in run.stderr and "注意" in run.stderr


def test_json_is_utf8_even_under_a_latin1_locale() -> None:
    env = {"LC_ALL": "en_US.ISO-8859-1", "LANG": "en_US.ISO-8859-1", "PYTHONIOENCODING": "latin-1"}
    run = subprocess.run(
        [sys.executable, "-m", "engine", "intake", str(SEED), "--json"],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")
    assert json.loads(run.stdout.decode("utf-8"))["notice"]["number"] == "深府办〔2007〕129号"


def test_a_gb18030_notice_is_read() -> None:
    path = NOTICES / "hangzhengbanhan-2015-112.txt"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    run = banfa("intake", path, "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["notice"]["number"] == "杭政办函〔2015〕112号"


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"", 3, "文件为空"),
        (b"\n \t\n", 3, "文件为空"),
        (bytes(range(256)) * 8, 4, "无法识别文件编码"),
        ("今天天气很好。".encode(), 5, "不是可识别的通知"),
    ],
)
def test_bad_input_gets_a_clear_message_and_its_exit_code(
    tmp_path: Path, content: bytes, code: int, message: str
) -> None:
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    run = banfa("intake", path, "--json")
    assert run.returncode == code
    assert message in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


@pytest.mark.parametrize(
    "args", [["intake"], ["intake", "/no/such/file.txt"], ["nosuchcommand"], ["intake", "--bogus", str(SEED)]]
)
def test_usage_errors_exit_with_2(args: list[str]) -> None:
    run = banfa(*args)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr


def test_write_creates_the_catalogue_once_and_check_accepts_it(rules: Path) -> None:
    (rules / "notices" / "sfb2007-129.toml").unlink()
    first = banfa("--rules-dir", rules, "intake", SEED, "--write")
    assert first.returncode == 0, first.stderr
    written = rules / "notices" / "sfb2007-129.toml"
    assert written.is_file() and "已写出任务清单" in first.stdout
    again = banfa("--rules-dir", rules, "intake", SEED, "--write")
    assert again.returncode == 1 and "已存在" in again.stderr
    check = banfa("--rules-dir", rules, "catalogue", "check")
    assert check.returncode == 0 and "22 项起草任务" in check.stdout
    show = banfa("--rules-dir", rules, "catalogue", "show", "sfb2007-129")
    assert show.returncode == 0 and "统筹协调：深圳市服务外包工作领导小组办公室" in show.stdout


def test_check_fails_on_an_invalid_catalogue(rules: Path) -> None:
    path = rules / "notices" / "sfb2007-129.toml"
    path.write_text(path.read_text("utf-8").replace('lead = "maogong"', 'lead = "nosuch"', 1), "utf-8")
    run = banfa("--rules-dir", rules, "catalogue", "check")
    assert run.returncode == 1
    assert "nosuch" in run.stderr and "Traceback" not in run.stderr


def test_the_data_dir_option_comes_before_any_command_and_becomes_absolute(tmp_path: Path) -> None:
    run = banfa("--data-dir", "relative/var", "info", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["data_dir"] == str(tmp_path.resolve() / "relative" / "var")
    from_env = banfa("info", cwd=tmp_path, env={"BANFA_DATA_DIR": "elsewhere"})
    assert json.loads(from_env.stdout)["data_dir"] == str(tmp_path.resolve() / "elsewhere")
    default = banfa("info", cwd=tmp_path, env={"BANFA_DATA_DIR": ""})
    assert json.loads(default.stdout)["data_dir"] == str(tmp_path.resolve() / "var")
    assert json.loads(default.stdout)["rules_dir"] == str(RULES)


def test_the_installed_console_script_exists() -> None:
    script = Path(sys.executable).parent / "banfa"
    assert script.is_file()
    run = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 0 and "intake" in run.stdout


def test_the_seed_catalogue_intake_writes_is_byte_identical_to_the_one_before_issue_14(
    tmp_path: Path,
) -> None:
    """tests/data/seed-catalogue-written.toml was written by the intake of before issue 14 (commit 35b5874):
    reading more forms must not change a byte of what the seed gives."""
    out = tmp_path / "empty-rules" / "notices" / "sfb2007-129.toml"
    run = banfa("intake", SEED.relative_to(ROOT), "--write", "--out", out, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "部门名录：深圳市部门名录（2007年）（shenzhen-2007）" in run.stderr
    assert out.read_bytes() == (ROOT / "tests" / "data" / "seed-catalogue-written.toml").read_bytes()
