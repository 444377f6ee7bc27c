"""The seed notice against its hand-labelled answer key (tests/data/seed-expected.toml)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from engine.domain.departments import Registry
from engine.domain.intake.duties import Intake
from engine.domain.intake.specs import DutySpec, Track
from engine.domain.workdays import WorkCalendar
from engine.services.intake import intake
from tests.support.paths import SEED


@pytest.fixture(scope="module")
def result(seed_text: str, registry: Registry, calendar: WorkCalendar) -> Intake:
    return intake(seed_text, registry=registry, calendar=calendar)


def _item(duty: DutySpec) -> str:
    return duty.location.split("-")[0].rstrip("abcdefghij")


def _clause(duty: DutySpec) -> int | None:
    ordinal = duty.location.partition("-")[2].rstrip("abcdefghij")
    return int(ordinal) if ordinal else None


def _matches(duty: DutySpec, want: dict[str, Any], registry: Registry) -> bool:
    return (
        _item(duty) == want["item"]
        and _clause(duty) == want.get("clause")
        and duty.lead is not None
        and registry.get(duty.lead).name == want["lead"]
    )


def test_the_notice_metadata_is_read(result: Intake, seed_expected: dict[str, Any]) -> None:
    n = result.notice
    assert (n.title, n.number, n.issuer) == (
        seed_expected["title"],
        seed_expected["number"],
        seed_expected["issuer"],
    )
    assert (n.date, n.published) == (seed_expected["date"], seed_expected["published"])
    assert result.notice_id == "sfb2007-129"


def test_every_duty_is_due_at_year_end_and_the_last_working_day_is_the_29th(
    result: Intake, seed_expected: dict[str, Any]
) -> None:
    assert result.deadline is not None
    assert (result.deadline.date, result.deadline.last_working_day) == (
        seed_expected["deadline"],
        seed_expected["last_working_day"],
    )
    assert {(d.deadline, d.last_working_day) for d in result.drafting} == {
        (dt.date(2007, 12, 31), dt.date(2007, 12, 29))
    }


def test_all_twenty_assignments_are_found_with_lead_co_departments_and_basis(
    result: Intake, seed_expected: dict[str, Any], registry: Registry
) -> None:
    for want in seed_expected["assignment"]:
        found = [d for d in result.drafting if _matches(d, want, registry)]
        assert found, f"missing: {want['item']} {want['lead']}"
        assert 1 <= len(found) <= len(want["documents"]), f"{want['item']}: {len(found)} duties"
        for duty, document in zip(found, want["documents"], strict=False):
            assert document in (duty.document or ""), (duty.location, duty.document)
            assert [registry.get(k).name for k in duty.co_departments] == want["co"], duty.location
            assert duty.co_open == want.get("co_open", False), duty.location
            assert list(duty.basis) == want["basis"], duty.location
            assert duty.track == Track(want.get("track", "规范性文件")), duty.location


def test_nothing_else_counts_as_drafting(
    result: Intake, seed_expected: dict[str, Any], registry: Registry
) -> None:
    expected = seed_expected["assignment"]
    others = [d for d in result.drafting if not any(_matches(d, w, registry) for w in expected)]
    assert all(_item(d) in seed_expected["optional"] for d in others), [d.location for d in others]


def test_duty_ids_are_stable_ascii_slugs(result: Intake) -> None:
    ids = [d.id for d in result.drafting]
    assert len(set(ids)) == len(ids)
    assert "sfb2007-129-02-02-2-caizheng" in ids
    financial = next(d for d in result.drafting if d.id == "sfb2007-129-02-02-2-caizheng")
    assert (financial.location, financial.ref) == ("二(二)-2", "深府办〔2007〕129号 二(二)-2 市财政局")


def test_every_department_of_the_seed_resolves_and_there_is_no_warning(result: Intake) -> None:
    assert result.warnings == ()
    assert all(d.lead for d in result.duties if d.lead_as_written)


def test_the_coordinating_office_sits_at_the_trade_bureau(
    result: Intake, seed_expected: dict[str, Any]
) -> None:
    assert result.coordinator.department == seed_expected["coordinator"]
    assert result.coordinator.office == "深圳市服务外包工作领导小组办公室"
    sample = next(d for d in result.drafting if d.location == "二(二)-1")
    assert sample.consultees == ("maogong",)  # the co-department is also the coordinating office: once


def test_non_drafting_clauses_are_reported_but_not_drafting(result: Intake) -> None:
    by_location = {d.location: d for d in result.duties}
    assert not by_location["一(五)"].drafting and by_location["一(五)"].kind is None
    assert not by_location["十二"].drafting
    assert len(result.duties) > len(result.drafting)


def test_the_shared_answer_key_agrees_with_the_tests_copy(
    shared: Path, seed_expected: dict[str, Any]
) -> None:
    text = (shared / "seed" / "expected-duties.md").read_text("utf-8")
    assert "20 department-level drafting assignments" in text
    assert len(seed_expected["assignment"]) == 20
    assert (shared / "seed" / "shenfuban-2007-129.txt").read_bytes() == SEED.read_bytes()
