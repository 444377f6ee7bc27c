"""Catalogue files: written by intake, reviewed by people, loaded back as the same duties."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from engine.adapters.rules import (
    load_calendar,
    load_catalogue,
    load_registries,
    load_registry,
    write_catalogue,
)
from engine.domain.departments import Registry
from engine.domain.intake.duties import Intake
from engine.domain.intake.specs import Catalogue
from engine.domain.workdays import Coverage, WorkCalendar
from engine.errors import CalendarError, CatalogueError, CatalogueExists, RegistryError
from engine.services.intake import intake
from tests.support.corpus import compare, corpus_names
from tests.support.paths import RULES


@pytest.fixture
def seed_intake(seed_text: str, registry: Registry, calendar: WorkCalendar) -> Intake:
    return intake(seed_text, registry=registry, calendar=calendar)


def test_loading_a_written_catalogue_gives_back_the_same_duties(
    tmp_path: Path, seed_intake: Intake, registry: Registry, calendar: WorkCalendar
) -> None:
    path = write_catalogue(Catalogue.from_intake(seed_intake, "seed.txt"), tmp_path / "c.toml", registry)
    loaded = load_catalogue(path, registry, calendar)
    assert loaded.duties == seed_intake.drafting
    assert loaded == Catalogue.from_intake(seed_intake, "seed.txt")


@pytest.mark.parametrize("name", corpus_names())
def test_every_corpus_notice_round_trips_through_its_catalogue(tmp_path: Path, name: str) -> None:
    case = compare(name)
    path = write_catalogue(Catalogue.from_intake(case.result), tmp_path / "c.toml", case.registry)
    if any(d.lead is None for d in case.result.drafting):
        # A lead the registry lacks is written as found, and check refuses it until a person fixes it.
        with pytest.raises(CatalogueError, match="牵头部门"):
            load_catalogue(path, case.registry, WorkCalendar())
        return
    assert load_catalogue(path, case.registry, WorkCalendar()).duties == case.result.drafting


def test_the_committed_seed_catalogue_is_valid_and_keeps_intakes_ids(
    seed_intake: Intake, registry: Registry, calendar: WorkCalendar
) -> None:
    committed = load_catalogue(RULES / "notices" / "sfb2007-129.toml", registry, calendar)
    assert [d.id for d in committed.duties] == [d.id for d in seed_intake.drafting]
    assert [d.lead for d in committed.duties] == [d.lead for d in seed_intake.drafting]
    assert committed.last_working_day == dt.date(2007, 12, 29)
    assert all(d.title and d.title.startswith(("深圳", "国家外汇")) for d in committed.duties)


def test_an_existing_catalogue_is_never_overwritten_unless_forced(
    tmp_path: Path, seed_intake: Intake, registry: Registry
) -> None:
    path = tmp_path / "c.toml"
    path.write_text("# a person's corrections\n", "utf-8")
    with pytest.raises(CatalogueExists):
        write_catalogue(Catalogue.from_intake(seed_intake), path, registry)
    assert path.read_text("utf-8") == "# a person's corrections\n"
    write_catalogue(Catalogue.from_intake(seed_intake), path, registry, force=True)
    assert "[[duty]]" in path.read_text("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["c.toml"]  # no temporary file left behind


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = (RULES / "notices" / "sfb2007-129.toml").read_text("utf-8")
    assert old in text
    path = tmp_path / "edited.toml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


def test_a_person_may_write_a_departments_name_where_a_key_belongs(
    tmp_path: Path, registry: Registry, calendar: WorkCalendar
) -> None:
    path = _edited(tmp_path, 'lead = "maogong"', 'lead = "市财政局"')
    assert load_catalogue(path, registry, calendar).duties[0].lead == "caizheng"


def test_a_deadline_override_moves_the_last_working_day_with_it(
    tmp_path: Path, registry: Registry, calendar: WorkCalendar
) -> None:
    path = _edited(tmp_path, "deadline = 2007-12-31\ntext", "deadline = 2007-10-07\ntext")
    duty = load_catalogue(path, registry, calendar).duties[0]
    assert (duty.deadline, duty.last_working_day) == (dt.date(2007, 10, 7), dt.date(2007, 9, 30))


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('lead = "maogong"', 'lead = "市港务局"', "市港务局"),
        ('lead = "maogong"', 'lead = ""', "牵头部门"),
        ('consultees = ["caizheng"]', 'consultees = ["nosuch"]', "nosuch"),
        ('track = "规范性文件"', 'track = "通知"', "track"),
        ('officer = ""', 'officer = "not-an-address"', "电子邮件"),
        ("deadline = 2007-12-31\ntext", 'deadline = "soon"\ntext', "deadline"),
        ('id = "sfb2007-129-01-03-1-maogong"', 'id = "sfb2007-129-01-04-1a-maogong"', "重复"),
        ('id = "sfb2007-129-01-03-1-maogong"', 'id = "第一项"', "ASCII"),
        ("schema_version = 1", "schema_version = 9", "schema_version"),
        ('title = "深圳市鼓励服务外包产业发展实施办法"', 'title = ""', "title"),
    ],
)
def test_an_invalid_catalogue_is_refused_with_every_problem_named(
    tmp_path: Path, registry: Registry, calendar: WorkCalendar, old: str, new: str, problem: str
) -> None:
    with pytest.raises(CatalogueError, match=problem):
        load_catalogue(_edited(tmp_path, old, new), registry, calendar)


def test_a_catalogue_that_is_not_toml_is_refused(
    tmp_path: Path, registry: Registry, calendar: WorkCalendar
) -> None:
    path = tmp_path / "broken.toml"
    path.write_bytes(b"[[duty]\nid = \xff")
    with pytest.raises(CatalogueError, match=r"broken\.toml"):
        load_catalogue(path, registry, calendar)


def _rules_copy(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    return rules


def test_an_administrator_adds_a_years_arrangement_as_a_calendar_file(tmp_path: Path) -> None:
    rules = _rules_copy(tmp_path)
    (rules / "calendar" / "2031.toml").write_text(
        'year = 2031\nworkdays = [2031-01-04]\n[[holiday]]\nname = "元旦"\nstart = 2031-01-01\nend = 2031-01-01\n',
        "utf-8",
    )
    cal = load_calendar(rules)
    assert cal.coverage(2031) is Coverage.OVERRIDE
    assert not cal.is_workday(dt.date(2031, 1, 1)) and cal.is_workday(dt.date(2031, 1, 4))


@pytest.mark.parametrize(("name", "content"), [("2031.toml", "year = 2032\n"), ("2031.toml", "year = \n")])
def test_a_misnamed_or_broken_calendar_file_is_refused(tmp_path: Path, name: str, content: str) -> None:
    rules = _rules_copy(tmp_path)
    (rules / "calendar" / name).write_text(content, "utf-8")
    with pytest.raises(CalendarError, match=name):
        load_calendar(rules)


def test_demo_contacts_give_every_department_example_addresses() -> None:
    demo = load_registries(RULES, demo_contacts=True).members[0]  # the default registry, Shenzhen's
    assert all(c.email.endswith("@example.org") for d in demo for _, c in d.contacts)
    assert len({d.key for d in demo if len(d.contacts) == 3}) == len(demo)
    real = load_registries(RULES).members[0]
    assert all(len(d.contacts) == 3 and all(not c.email for _, c in d.contacts) for d in real)


def test_a_broken_registry_file_is_refused(tmp_path: Path) -> None:
    rules = _rules_copy(tmp_path)
    (rules / "departments.toml").write_text("[[department]]\nkey = 'x'\n", "utf-8")
    with pytest.raises(RegistryError, match="name"):
        load_registry(rules)
