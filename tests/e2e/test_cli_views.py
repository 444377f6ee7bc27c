"""The views as people and scripts read them: a person's tasks, a notice's board, status and show, as tables
with the duty ids in them and as JSON; and the modules these verbs never load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import banfa
from tests.support.paths import ROOT

NOTICE = "sfb2007-129"
SAMPLE = "sfb2007-129-02-02-1-caizheng"  # 市财政局 leads it
SECOND = "sfb2007-129-02-02-2-caizheng"  # and this one
STAGES = ["起草", "征求意见", "修改", "审查", "集体审议", "发布"]
RED = "\x1b[31m"


def run(data: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return banfa("--data-dir", data, *args, env=env)


def as_json(data: Path, *args: str) -> Any:
    result = run(data, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def consulting(data: Path) -> Path:
    """SAMPLE started on 2007-09-11 and in consultation from 2007-09-28 (replies due 2007-10-12)."""
    for step in (("start", "2007-09-11T09:30"), ("consult", "2007-09-28T10:00")):
        result = run(data, step[0], SAMPLE, "--as", "zhang", "--now", step[1])
        assert result.returncode == 0, result.stderr
    return data


def test_tasks_lists_the_officers_duties_overdue_first_in_red_with_the_actions_in_chinese(
    consulting: Path,
) -> None:
    coloured = {"FORCE_COLOR": "1", "COLUMNS": "250", "NO_COLOR": ""}
    result = run(consulting, "tasks", "--as", "zhang", "--today", "2007-10-15", env=coloured)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "sfb2007-129-" in line]
    assert [SAMPLE in rows[0], SECOND in rows[1], len(rows)] == [True, True, 2]
    assert RED in rows[0] and "逾期" in rows[0] and "结束征求意见" in rows[0] and "2007-10-12" in rows[0]
    assert RED not in rows[1] and "启动起草" in rows[1]
    assert "共 2 项待办，逾期 1 项" in result.stdout
    data = as_json(consulting, "tasks", "--as", "zhang", "--today", "2007-10-15")
    assert [t["id"] for t in data["tasks"]] == [SAMPLE, SECOND] and data["overdue"] == 1
    assert data["tasks"][0]["actions"] == [{"action": "close_consultation", "label": "结束征求意见"}]
    assert (data["tasks"][0]["due"], data["tasks"][0]["workdays_left"]) == ("2007-10-12", -1)


def test_tasks_of_an_unknown_person_is_an_error_in_chinese(data: Path) -> None:
    result = run(data, "tasks", "--as", "nobody", "--today", "2007-10-15")
    assert result.returncode == 1 and "没有该用户" in result.stderr and "Traceback" not in result.stderr


def test_the_board_has_a_row_per_duty_with_its_id_and_marks_and_a_person_sees_only_their_own(
    consulting: Path,
) -> None:
    result = run(consulting, "board", NOTICE, "--today", "2007-12-20")
    assert result.returncode == 0, result.stderr
    ids = [line.split("│")[1].strip() for line in result.stdout.splitlines() if "│ sfb2007-129-" in line]
    assert len(ids) == 22 and SAMPLE in ids and "有风险" in result.stdout and "共 22 项" in result.stdout
    assert "版本" in result.stdout
    data = as_json(consulting, "board", NOTICE, "--today", "2007-12-20")
    assert data["total"] == 22 and data["notice"]["id"] == NOTICE and data["user"] is None
    row = next(r for r in data["duties"] if r["id"] == SAMPLE)
    assert list(row["planned"]) == STAGES and row["actual"] == {"起草": "2007-09-28"}
    assert (row["state"], row["next_stage"], row["lead"]) == ("征求意见中", "征求意见", "市财政局")
    theirs = as_json(consulting, "board", NOTICE, "--as", "wang", "--today", "2007-12-20")
    assert 0 < theirs["total"] < 22 and all(r["lead"] == "市公安局" for r in theirs["duties"])
    missing = run(consulting, "board", "sfb2099-1")
    assert missing.returncode == 1 and "没有该通知" in missing.stderr


def test_status_shows_the_duty_ids_and_its_json_carries_every_duty(consulting: Path) -> None:
    result = run(consulting, "status", "--today", "2007-10-15")
    assert result.returncode == 0, result.stderr
    assert SAMPLE in result.stdout and "任务编号" in result.stdout
    data = as_json(consulting, "status", "--today", "2007-10-15")
    assert data["today"] == "2007-10-15" and data["total"] == 22 and len(data["duties"]) == 22
    entry = next(d for d in data["duties"] if d["id"] == SAMPLE)
    assert (entry["state"], entry["next_stage"], entry["lead"]) == ("征求意见中", "征求意见", "市财政局")


def test_show_as_a_person_gives_what_they_may_do_and_the_version_and_its_json(consulting: Path) -> None:
    result = run(consulting, "show", SAMPLE, "--as", "zhang", "--today", "2007-10-15")
    assert result.returncode == 0, result.stderr
    [may] = [line for line in result.stdout.splitlines() if line.startswith("zhang 现在可以：")]
    assert "代录纸质答复、结束征求意见" in may and "--expect-version" in result.stdout
    assert f"操作记录（{SAMPLE}）" in result.stdout and "启动起草" in result.stdout
    page = as_json(consulting, "show", SAMPLE, "--as", "zhang", "--today", "2007-10-15")
    assert {"action": "close_consultation", "label": "结束征求意见"} in page["allowed"]
    assert [a["label"] for a in page["allowed"]] == may.removeprefix("zhang 现在可以：").split("、")
    assert page["version"] >= 3 and page["state"] == "征求意见中" and page["actual"] == {"起草": "2007-09-28"}
    history = as_json(consulting, "show", SAMPLE)
    assert history["version"] == page["version"]
    assert [e["action"] for e in history["events"]] == ["ingest", "start", "open_consultation"]
    assert history["events"][1]["at"] == "2007-09-11T09:30:00+08:00" and list(history["planned"]) == STAGES
    assert {r["consultee"] for r in history["requests"]} == {"maogong"} and page["consultees"] == ["市贸工局"]
    refused = run(consulting, "show", SAMPLE, "--as", "wang")
    assert refused.returncode == 6 and "无权查看" in refused.stderr


@pytest.mark.parametrize(
    "verb",
    [
        ("status", "--today", "2007-09-12"),
        ("tasks", "--as", "zhang", "--today", "2007-09-12"),
        ("board", NOTICE, "--today", "2007-09-12"),
    ],
    ids=lambda v: v[0],
)
def test_the_views_never_load_word_templates_jinja_prefect_or_the_other_verbs(
    data: Path, verb: tuple[str, ...]
) -> None:
    # What a person waits for at every start-up (bench/startup.py): none of it is needed to read.
    never = ("docx", "jinja2", "prefect", "openpyxl", "argon2", "pwdlib", "apscheduler", "alembic", "lxml")
    engine_never = (
        "engine.entrypoints.cli.workflow",
        "engine.services.machine",  # the drafting code, behind the in-process dispatcher
        "engine.domain.drafting.compose",
        "engine.domain.intake.notice",  # the notice parser
        "sqlalchemy.dialects.postgresql",  # on SQLite
    )
    probe = (
        "import sys\n"
        "from engine.entrypoints.cli.main import main\n"
        "try:\n    main(['--data-dir', *sys.argv[1:]])\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        f"loaded = sorted({{m.split('.')[0] for m in sys.modules}} & {set(never)!r})\n"
        "assert not loaded, loaded\n"
        f"assert not sorted({set(engine_never)!r} & set(sys.modules)), sorted({set(engine_never)!r} & set(sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(data), *verb],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=os.environ.copy(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert NOTICE in result.stdout
