"""Intake's judgement calls beyond the seed: warnings, anchors, consultees, ids."""

from __future__ import annotations

import datetime as dt

from engine.domain.departments import Registry
from engine.domain.intake.duties import extract
from engine.domain.intake.ids import notice_slug
from engine.domain.intake.notice import parse
from engine.domain.workdays import WorkCalendar

REG = Registry.from_data(
    {
        "department": [
            {"key": "caizheng", "name": "某市财政局", "short": ["市财政局"]},
            {"key": "shangwu", "name": "某市商务局", "short": ["市商务局"]},
            {"key": "bangongting", "name": "某市人民政府办公厅", "short": ["市政府办公厅"]},
        ]
    }
)


def _intake(text: str):  # type: ignore[no-untyped-def]
    return extract(parse(text, registry=REG), registry=REG, calendar=WorkCalendar())


def test_a_year_the_calendar_does_not_know_gives_a_warning_to_add_it() -> None:
    result = _intake(
        "某市人民政府办公厅关于分工的通知\n（2031年3月2日）\n一、市财政局\n（一）三个月内制定甲管理办法。\n"
    )
    duty = result.drafting[0]
    assert duty.deadline == dt.date(2031, 6, 2)
    assert any("2031" in w and "rules/calendar/2031.toml" in w for w in result.warnings)


def test_without_a_date_relative_deadlines_cannot_be_resolved_and_intake_says_so() -> None:
    result = _intake("某市人民政府办公厅关于分工的通知\n一、市财政局\n（一）三个月内制定甲管理办法。\n")
    assert result.drafting[0].deadline is None
    assert any("成文日期" in w for w in result.warnings)


def test_a_drafting_duty_without_a_department_is_kept_and_flagged() -> None:
    result = _intake(
        "某市人民政府办公厅关于分工的通知\n（2019年3月2日）\n一、重点任务\n（一）制定甲管理办法。\n"
    )
    assert result.drafting[0].lead is None and result.drafting[0].id.endswith("-none")
    assert any("没有找到承办部门" in w for w in result.warnings)


def test_consultees_are_the_co_departments_plus_the_coordinating_office_but_never_the_lead() -> None:
    text = (
        "某市人民政府办公厅关于分工的通知\n（2019年3月2日）\n一、市商务局\n（一）承担领导小组办公室的日常工作。\n"
        "（二）会同市财政局制定甲管理办法。\n二、市财政局\n（一）制定乙管理办法。\n"
    )
    result = _intake(text)
    assert result.coordinator.department == "shangwu"
    first, second = result.drafting
    assert (first.lead, first.consultees) == ("shangwu", ("caizheng",))
    assert (second.lead, second.consultees) == ("caizheng", ("shangwu",))


def test_without_a_coordinating_office_the_issuer_coordinates() -> None:
    result = _intake(
        "某市人民政府办公厅关于分工的通知\n（2019年3月2日）\n一、市财政局\n（一）制定乙管理办法。\n"
    )
    assert result.coordinator.department == "bangongting"


def test_a_notice_without_a_doc_number_is_keyed_by_issuer_and_date() -> None:
    notice = parse(
        "某市人民政府办公厅关于分工的通知\n（2019年3月2日）\n一、市财政局\n（一）制定乙管理办法。\n"
    )
    assert notice_slug(notice) == "msrmzfbgt-20190302"
