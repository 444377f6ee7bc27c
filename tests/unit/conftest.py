"""Fixtures of the service unit tests: the seed's duties and people on in-memory fakes, no database, no Word.

`world` mirrors tests.support.workflows.workflow_with_people on `tests.support.memory.memory_ports`: the same
accounts, the seed's reviewed catalogue ingested by the admin, and a recording dispatcher.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from dataclasses import dataclass

import pytest

from engine.adapters.wording import JinjaWording, wording
from engine.config import Settings, bundled_templates_dir
from engine.domain.departments import Registry
from engine.domain.drafting.versions import DocumentVersion
from engine.domain.intake.specs import Catalogue
from engine.domain.ports import Ports
from engine.domain.workdays import WorkCalendar
from engine.domain.workflow.model import Duty, State
from engine.services import machine
from engine.services.accounts import add_user
from engine.services.notices import ingest_notice
from tests.support.fakes import RecordingDispatcher
from tests.support.memory import MemoryDatabase, memory_ports
from tests.support.paths import RULES
from tests.support.workflows import SAMPLE, at, seed_catalogue

PEOPLE = (
    ("admin", "管理员", "maogong", ("admin",)),
    ("office", "统筹协调员", "maogong", ("coordinator",)),
    ("zhang", "张承办", "caizheng", ("officer",)),
    ("wang", "王承办", "gongan", ("officer",)),
    ("li", "李联络", "maogong", ("consultee",)),
    ("zhao", "赵联络", "renshi", ("consultee",)),
    ("fa", "法制办审核员", "fazhiban", ("reviewer",)),
)
INGESTED_AT = at("2007-09-11", 9)


@pytest.fixture(scope="session", name="wording")
def wording_fixture() -> JinjaWording:
    """The real Jinja wording of the documents, read once per session."""
    return wording(bundled_templates_dir() / "text")


@pytest.fixture(scope="session")
def seed() -> Catalogue:
    """The seed notice's reviewed catalogue (rules/notices/sfb2007-129.toml), validated once per session."""
    return seed_catalogue(Settings(rules_dir=RULES, demo_contacts=True))


class WitnessingDispatcher(RecordingDispatcher):
    """A recording dispatcher that also notes the duty's committed state whenever it is asked to advance, and
    then does the machine work in-process, as the in-process dispatcher does (unless `work` is False).

    What it saw tells whether the action had been committed when the dispatcher was called.
    """

    def __init__(self, database: MemoryDatabase, ports: Ports | None = None) -> None:
        super().__init__()
        self.database = database
        self.ports = ports
        self.saw: list[State | None] = []

    def advance(self, duty_id: str, now: dt.datetime) -> None:
        super().advance(duty_id, now)
        committed = self.database.duties.get(duty_id)
        self.saw.append(committed.state if committed else None)
        if self.ports is not None:
            machine.advance(duty_id, now, ports=self.ports)


@dataclass
class World:
    """The seed on fakes: ports, the committed in-memory database, and the dispatcher the tests pass."""

    ports: Ports
    database: MemoryDatabase
    dispatcher: WitnessingDispatcher
    ingested_at: dt.datetime = INGESTED_AT

    def duty(self, duty_id: str = SAMPLE) -> Duty:
        with self.ports.uow() as uow:
            return uow.duties.get(duty_id)

    def state(self, duty_id: str = SAMPLE) -> State:
        return self.duty(duty_id).state

    def reminders(self, duty_id: str = SAMPLE) -> dict[str, str]:
        with self.ports.uow() as uow:
            return uow.reminders.statuses(duty_id)

    def documents(self, duty_id: str = SAMPLE) -> list[DocumentVersion]:
        return self.ports.documents.versions(duty_id)

    def kinds(self, duty_id: str = SAMPLE) -> list[str]:
        """The duty's stored versions as kind[.variant].vN, in the order stored."""
        return [
            f"{v.kind.value}{'.' + v.variant if v.variant else ''}.v{v.version}"
            for v in self.documents(duty_id)
        ]

    def snapshot(self) -> tuple[MemoryDatabase, list[DocumentVersion]]:
        """Everything committed and every stored document version, to compare after a refused action."""
        every = sorted({d.id for d in self.database.duties.values()})
        return copy.deepcopy(self.database), [v for d in every for v in self.documents(d)]

    def add_person(self, user_id: str, name: str, department: str, *roles: str) -> None:
        add_user(user_id, name, department, roles, now=at("2007-09-01"), ports=self.ports)

    def fresh_dispatcher(self, *, work: bool = True) -> WitnessingDispatcher:
        self.dispatcher = WitnessingDispatcher(self.database, self.ports if work else None)
        return self.dispatcher


@pytest.fixture(scope="session")
def seeded(
    registry: Registry, calendar: WorkCalendar, wording: JinjaWording, seed: Catalogue
) -> MemoryDatabase:
    """The people and the seed, added through the services once per session; each test gets a copy."""
    ports, database = memory_ports(registry, calendar, wording)
    for user_id, name, department, roles in PEOPLE:
        add_user(user_id, name, department, roles, now=at("2007-09-01"), ports=ports)
    ingest_notice(seed, actor="admin", now=INGESTED_AT, ports=ports)
    return database


@pytest.fixture
def world(registry: Registry, calendar: WorkCalendar, wording: JinjaWording, seeded: MemoryDatabase) -> World:
    ports, _ = memory_ports(registry, calendar, wording)  # an empty document store: ingesting stores none
    database = copy.deepcopy(seeded)
    ports = dataclasses.replace(ports, uow=database.unit_of_work)
    return World(ports, database, WitnessingDispatcher(database, ports))
