"""The JSON of status, show, tasks and board carries the facts of the views, in the stable shape other tools
read: dates as YYYY-MM-DD, states, stages and replies as their Chinese values, milestones keyed by stage."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from engine.domain.workflow.consultation import OpinionInput
from engine.entrypoints.views_json import board_json, page_json, status_json, tasks_json, timeline_json
from engine.services import workflow as wf
from engine.services.board import notice_board, tasks_for
from engine.services.pages import duty_page
from engine.services.views import status, timeline
from tests.support.workflows import SAMPLE, at
from tests.unit.conftest import World

NOTICE = "sfb2007-129"
TODAY = dt.date(2007, 10, 15)
STAGES = ["起草", "征求意见", "修改", "审查", "集体审议", "发布"]


def consulting(world: World) -> None:
    p, d = world.ports, world.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    wf.record_opinion(SAMPLE, (OpinionInput("第二条", "建议"),), actor="li", now=at("2007-10-08"), ports=p)


def roundtrip(data: dict[str, Any]) -> dict[str, Any]:
    """What a reader of the printed JSON gets: only JSON types survive."""
    parsed: dict[str, Any] = json.loads(json.dumps(data, ensure_ascii=False))
    return parsed


def test_the_tasks_json_names_the_actions_in_chinese_and_the_overdue_task_first(world: World) -> None:
    consulting(world)
    data = roundtrip(tasks_json(tasks_for("zhang", TODAY, ports=world.ports), "zhang", TODAY))
    first = data["tasks"][0]
    assert (data["user"], data["today"], data["total"], data["overdue"]) == ("zhang", "2007-10-15", 2, 1)
    assert (first["id"], first["state"], first["due"], first["overdue"]) == (
        SAMPLE,
        "征求意见中",
        "2007-10-12",
        True,
    )
    assert first["actions"] == [
        {"action": "close_consultation", "label": "结束征求意见"},
        {"action": "decide", "label": "处理意见"},  # the opinion waits for a decision
    ]
    assert first["workdays_left"] == -1 and first["lead"] == "市财政局" and first["version"] > 1
    assert data["tasks"][1]["actions"] == [{"action": "start", "label": "启动起草"}]


def test_the_board_json_keys_milestones_by_stage_and_counts_the_marks(world: World) -> None:
    consulting(world)
    data = roundtrip(board_json(notice_board(NOTICE, TODAY, ports=world.ports), None))
    assert data["notice"] == {"id": NOTICE, "title": data["notice"]["title"], "deadline": "2007-12-31"}
    assert data["notice"]["title"].startswith("深圳市人民政府办公厅") and data["total"] == 22
    row = next(r for r in data["duties"] if r["id"] == SAMPLE)
    assert list(row["planned"]) == STAGES and row["actual"] == {"起草": "2007-09-28"}
    assert (row["state"], row["next_stage"], row["next_due"]) == (
        "征求意见中",
        "征求意见",
        row["planned"]["征求意见"],
    )
    assert row["co_departments"] == ["市贸工局"] and row["deadline"] == "2007-12-31"
    assert data["at_risk"] == sum(r["at_risk"] for r in data["duties"])
    assert data["pending"] == 0 and data["user"] is None


def test_the_status_json_has_one_entry_per_duty_with_its_next_milestone(world: World) -> None:
    consulting(world)
    rows = status(TODAY, ports=world.ports, notice_id=NOTICE)
    data = roundtrip(status_json(rows, TODAY, NOTICE))
    assert (data["today"], data["notice"], data["total"]) == ("2007-10-15", NOTICE, 22)
    entry = next(d for d in data["duties"] if d["id"] == SAMPLE)
    assert entry["state"] == "征求意见中" and entry["next_stage"] == "征求意见"
    assert dt.date.fromisoformat(entry["next_due"]) > TODAY and entry["workdays_left"] > 0
    assert entry["lead"] == "市财政局" and entry["location"] == "二(二)-1"


def test_the_timeline_json_tells_the_whole_history_with_moments_in_beijing_time(world: World) -> None:
    consulting(world)
    data = roundtrip(timeline_json(timeline(SAMPLE, ports=world.ports)))
    assert [e["action"] for e in data["events"]] == ["ingest", "start", "open_consultation", "reply"]
    start = data["events"][1]
    assert (start["label"], start["from"], start["to"]) == ("启动起草", "未启动", "起草中")
    assert start["at"] == "2007-09-11T10:00:00+08:00"
    assert list(data["planned"]) == STAGES and data["deadline"] == "2007-12-31"
    assert data["version"] == world.duty().version
    [opinion] = data["opinions"]
    assert (opinion["clause"], opinion["decision"], opinion["consultee"]) == ("第二条", None, "maogong")
    assert {r["consultee"]: r["reply"] for r in data["requests"]}["maogong"] == "提出意见"
    assert {d["kind"] for d in data["documents"]} >= {"draft", "consultation-letter"}


def test_the_page_json_shows_only_what_the_person_may_see_and_do_and_the_version(world: World) -> None:
    consulting(world)
    whole = roundtrip(page_json(duty_page(SAMPLE, "zhang", TODAY, ports=world.ports), "zhang", TODAY))
    assert [a["action"] for a in whole["allowed"]] == ["close_consultation", "decide"]  # procedure order
    assert whole["allowed"][0]["label"] == "结束征求意见" and whole["version"] == world.duty().version
    assert whole["actual"] == {"起草": "2007-09-28"} and len(whole["opinions"]) == 1
    assert whole["track"] == "规范性文件" and whole["lead"] == "市财政局" and whole["user"] == "zhang"
    consultee = roundtrip(page_json(duty_page(SAMPLE, "li", TODAY, ports=world.ports), "li", TODAY))
    assert consultee["reviews"] == [] and {r["consultee"] for r in consultee["requests"]} == {"maogong"}
