"""The persistence ports' contract (engine.domain.ports.repositories and .logs), run over three implementations.

The same test bodies run on the in-memory fake (tests/support/memory.py), on the SQL adapter over SQLite, and
on the SQL adapter over PostgreSQL (skipped without a server). What each test expects is what the port's
docstrings promise; everything is observed through the ports, never by reading tables.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.adapters.sql.connection import make_engine
from engine.adapters.sql.migrate import migrate
from engine.adapters.sql.unit_of_work import SqlUnitOfWork
from engine.domain.departments import Department, Registry
from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.intake.specs import Coordinator, DutySpec, NoticeInfo, Reference
from engine.domain.ports import (
    AuditRecord,
    Dispatch,
    DutyFacts,
    DutyRow,
    NoticeRecord,
    StoredReminder,
    UnitOfWork,
)
from engine.domain.reminders.planner import Kind, Reminder
from engine.domain.workdays import WorkCalendar
from engine.domain.workflow.accounts import Account, ApiToken
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.model import Duty, State
from engine.domain.workflow.people import User, UserRole
from engine.errors import ConcurrencyConflict, DutyNotFound, UnknownUser
from tests.support import databases
from tests.support.duties import sample_spec
from tests.support.memory import MemoryDatabase

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
NOTICE, EARLIER_NOTICE = "sfb2007-129", "sfb2007-128"  # the earlier notice sorts first
DUTY = "sfb2007-129-02-02-1-caizheng"
OFFICER, CONSULTEE, REVIEWER, COORDINATOR = "li.si", "zhao.liu", "fzb.wang", "ldxz.chen"

UowFactory = Callable[[], UnitOfWork]


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2007) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


NOW = at(10, 15, 9)
TODAY = NOW.date()
LAST_WORKING_DAY = D(2007, 12, 28)


@pytest.fixture(params=["memory", databases.SQLITE, databases.POSTGRESQL])
def uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    """A unit-of-work factory over an empty, migrated database of one kind."""
    if request.param == "memory":
        yield MemoryDatabase().unit_of_work
        return
    db_engine = make_engine(databases.empty_database_url(request.param, tmp_path))
    try:
        migrate(db_engine)
        yield lambda: SqlUnitOfWork(db_engine)
    finally:
        db_engine.dispose()


@pytest.fixture
def ready(uow: UowFactory, registry: Registry) -> UowFactory:
    """The registry's departments synced and two notices ingested, so that duties can be added."""
    with uow() as u:
        u.departments.sync(list(registry))
        u.notices.save(notice(NOTICE))
        u.notices.save(notice(EARLIER_NOTICE))
        u.commit()
    return uow


@pytest.fixture
def stored(ready: UowFactory) -> UowFactory:
    """As `ready`, with the duty DUTY added (machine steps and dispatches refer to a stored duty)."""
    with ready() as u:
        u.duties.add(new_duty())
        u.commit()
    return ready


# --- values ---------------------------------------------------------------------------------------------------


def notice(notice_id: str = NOTICE, title: str = "关于加快服务外包发展的通知") -> NoticeRecord:
    """A notice as ingestion records it: the catalogue as plain data carries what the metadata says."""
    reference = {
        "title": "关于加快深圳市服务外包发展的若干规定",
        "number": "深府〔2006〕267号",
        "short": "若干规定",
    }
    info = NoticeInfo(
        notice_id, title, "深府办〔2007〕129号", "深圳市人民政府办公厅", D(2007, 9, 5), D(2007, 9, 10),
        (Reference(**reference),),
    )  # fmt: skip
    catalogue = {
        "schema_version": 1,
        "notice": {"id": notice_id, "title": title, "references": [reference]},
        "coordinator": {"department": "maogong", "office": "市服务外包办", "reviewer": "fazhiban"},
        "duty": [{"id": DUTY, "lead": "caizheng", "deadline": "2007-12-31"}],
    }
    return NoticeRecord(
        info, Coordinator("maogong", "市服务外包办", "fazhiban"), D(2007, 12, 31), catalogue, at(9, 11, 9)
    )


def spec(duty_id: str = DUTY, **changes: Any) -> DutySpec:
    return sample_spec(**{"id": duty_id, "last_working_day": D(2007, 12, 28), **changes})


def new_duty(duty_id: str = DUTY, notice_id: str = NOTICE, **changes: Any) -> Duty:
    """A duty as ingestion makes it: from its spec, with its ingest event."""
    duty = Duty.from_spec(spec(duty_id, **changes), notice_id)
    duty.ingested("admin", at(9, 11, 9))
    return duty


def _decide_rest(duty: Duty) -> None:
    for o in duty.undecided():
        duty.decide(o.id, Decision.PARTLY_ADOPTED, "已吸收主要内容", OFFICER, at(10, 16))


Step = Callable[[Duty], object]


def _extend(duty: Duty) -> None:
    duty.extend(D(2008, 3, 31), COORDINATOR, "经领导小组同意延期", at(11, 23), CAL)


# A life that leaves something in every part of the aggregate the SQL adapter keeps. Replies come in an order
# other than the consultees', and a second round follows a return for amendment, with one department silent.
LIFE: tuple[Step, ...] = (
    lambda d: d.start(OFFICER, at(9, 24)),
    lambda d: d.reassign("keji", "wang.wu@keji.example", COORDINATOR, at(9, 25), "职能调整"),
    lambda d: d.upload(OFFICER, at(9, 27), "doc-1"),
    lambda d: d.open_consultation(OFFICER, at(9, 28), CAL, 7),
    lambda d: d.reply(
        "renshi",
        CONSULTEE,
        at(10, 8),
        (
            OpinionInput("第五条", "建议明确资助标准", ("att-1", "att-2")),
            OpinionInput("第七条", "建议增加绩效评价"),
        ),
    ),
    lambda d: d.reply("maogong", "li.lian", at(10, 9), (OpinionInput("第二条", "建议扩大适用范围"),)),
    lambda d: d.decide(f"{d.id}.r1.renshi.2", Decision.NOT_ADOPTED, "与上位法不符", OFFICER, at(10, 10)),
    lambda d: d.close_consultation(OFFICER, at(10, 15)),
    _decide_rest,
    lambda d: d.submit(OFFICER, at(10, 17)),
    lambda d: d.review(Legality.TO_AMEND, "第五条资助标准超出财政预算安排", REVIEWER, at(11, 5)),
    lambda d: d.amend(replace(d.spec, title="深圳市服务外包人才培训资助暂行办法"), "admin", at(11, 6), CAL),
    lambda d: d.open_consultation(OFFICER, at(11, 7), CAL, 3),
    lambda d: d.reply("renshi", CONSULTEE, at(11, 8), (), attachments=("att-3",)),  # 无意见, with its letter
    lambda d: d.close_consultation(OFFICER, at(11, 20)),  # after the window: maogong is silent
    lambda d: d.submit(OFFICER, at(11, 21)),
    lambda d: d.review(Legality.LAWFUL, "", REVIEWER, at(11, 22)),
    _extend,
    lambda d: d.deliberate(True, COORDINATOR, at(11, 26)),
    Duty.mark_machine_done,
    lambda d: d.publish("深财〔2007〕12号", D(2007, 11, 28), D(2008, 1, 1), OFFICER, at(11, 28)),
    lambda d: d.file(D(2007, 12, 10), OFFICER, at(12, 10)),
)
ON_TIME = tuple(s for s in LIFE if s is not _extend)  # ends past its original last working day


def lived(duty: Duty, steps: tuple[Step, ...] = LIFE) -> Duty:
    for step in steps:
        step(duty)
    return duty


SPEC_KEPT = (
    "id", "title", "lead", "co_departments", "consultees", "officer", "track", "basis", "deadline", "ref",
    "location", "text", "document", "kind",
)  # fmt: skip


def kept(duty: Duty) -> dict[str, Any]:
    """What the SQL adapter keeps of a duty: everything but a few catalogue fields of the spec that only
    intake reads. Opinions are compared whatever their order, which the port leaves open."""
    s = duty.spec
    return {
        "id": duty.id,
        "notice_id": duty.notice_id,
        "state": duty.state,
        "version": duty.version,
        "stage_version": duty.stage_version,
        "machine_done": duty.machine_done,
        "deadline": duty.deadline,
        "last_working_day": duty.last_working_day,
        "events": duty.events,
        "requests": duty.requests,
        "opinions": sorted(duty.opinions, key=lambda o: o.id),
        "reviews": duty.reviews,
        "extensions": duty.extensions,
        "publication": duty.publication,
        "spec": {f: getattr(s, f) for f in SPEC_KEPT},
    }


def reminder(
    key: str,
    subject: str = DUTY,
    *,
    kind: Kind = Kind.BEFORE_PUBLISH,
    send_on: dt.date = TODAY,
    to: str = "caizheng:officer",
    due: dt.date = LAST_WORKING_DAY,
    notice_id: str = NOTICE,
    about: str = "publish",
) -> Reminder:
    return Reminder(key, subject, notice_id, kind, due, send_on, to, cc="caizheng:leader", about=about)


def into(u: UnitOfWork, status: str, keys: list[str], now: dt.datetime = NOW) -> None:
    """Move pending reminders to a status the way the sender does (uncertain first: it expires all claims)."""
    if status == "cancelled":
        u.reminders.cancel(keys)
        return
    assert {r.key for r in u.reminders.claim(keys, "token", now)} == set(keys)
    if status in ("sent", "folded", "failed"):
        u.reminders.settle(keys, status, now)
    elif status == "uncertain":
        assert set(u.reminders.expire_claims(now + dt.timedelta(seconds=1))) == set(keys)


def every(u: UnitOfWork, subject: str | None = None) -> dict[str, StoredReminder]:
    return {r.key: r for r in u.reminders.list(subject=subject, pending_only=False)}


# --- the unit of work -----------------------------------------------------------------------------------------


def test_changes_not_committed_are_gone_after_the_block(ready: UowFactory) -> None:
    with ready() as u:
        u.users.add(User("li.si", "李四", "caizheng", frozenset({UserRole.OFFICER})), NOW)
        u.notices.save(notice("sfb2007-200"))
        u.duties.add(new_duty())
        assert u.users.get("li.si").name == "李四"  # the transaction sees its own changes
    with ready() as u:
        with pytest.raises(UnknownUser):
            u.users.get("li.si")
        assert u.notices.get("sfb2007-200") is None
        assert u.duties.list() == []


def test_an_error_in_the_block_rolls_everything_back(ready: UowFactory) -> None:
    with pytest.raises(RuntimeError), ready() as u:
        u.duties.add(new_duty())
        raise RuntimeError("refused")
    with ready() as u:
        assert u.duties.list() == []


def test_a_rollback_undoes_the_changes_since_the_transaction_began(ready: UowFactory) -> None:
    with ready() as u:
        u.users.add(User("li.si", "李四", "caizheng", frozenset({UserRole.OFFICER})), NOW)
        u.reminders.add([reminder("r1")], NOW)
        u.rollback()
        with pytest.raises(UnknownUser):
            u.users.get("li.si")
        assert u.reminders.statuses(DUTY) == {}
    with ready() as u:
        with pytest.raises(UnknownUser):
            u.users.get("li.si")
        assert u.reminders.statuses(DUTY) == {}


def test_committed_changes_are_seen_by_the_next_unit_of_work(ready: UowFactory) -> None:
    with ready() as u:
        u.users.add(User("li.si", "李四", "caizheng", frozenset({UserRole.OFFICER})), NOW)
        u.duties.add(new_duty())
        u.reminders.add([reminder("r1")], NOW)
        u.commit()
    with ready() as u:
        assert u.users.get("li.si").name == "李四"
        assert [d.id for d in u.duties.list()] == [DUTY]
        assert u.reminders.statuses(DUTY) == {"r1": "pending"}


def test_of_two_units_of_work_open_at_once_neither_loses_the_others_update(ready: UowFactory) -> None:
    """SQLite makes the second wait for the first; PostgreSQL and the fake refuse the stale save. Either way,
    every save that went through is in the duty, and the refused one wrote nothing."""
    with ready() as u:
        u.duties.add(lived(new_duty(), LIFE[:1]))
        u.commit()
    outcome: dict[str, object] = {}

    def upload(u: UnitOfWork, duty: Duty, document: str) -> None:
        duty.upload(OFFICER, at(9, 27), document)
        try:
            u.duties.save(duty)
            u.commit()
            outcome[document] = "saved"
        except ConcurrencyConflict:
            outcome[document] = "refused"

    def other() -> None:
        try:
            with ready() as u:
                upload(u, u.duties.get(DUTY), "doc-other")
        except Exception as exc:  # reported below, not lost in the thread
            outcome["doc-other"] = exc

    with ready() as first:
        mine = first.duties.get(DUTY)
        meanwhile = threading.Thread(target=other)
        meanwhile.start()
        meanwhile.join(timeout=1)  # done by now, unless the database makes it wait for this one
        upload(first, mine, "doc-first")
    meanwhile.join()
    with ready() as u:
        final = u.duties.get(DUTY)
    assert set(outcome.values()) <= {"saved", "refused"} and "saved" in outcome.values(), outcome
    saved = {document for document, result in outcome.items() if result == "saved"}
    assert {e.reason for e in final.events if e.action == "upload"} == saved
    assert final.version == 1 + len(saved)


# --- duties ---------------------------------------------------------------------------------------------------


def test_an_added_duty_is_at_version_one_and_reads_back_equal(ready: UowFactory) -> None:
    duty = new_duty()
    with ready() as u:
        u.duties.add(duty)
        assert duty.version == 1
        u.commit()
    with ready() as u:
        found = u.duties.get(DUTY)
    assert found.version == 1
    assert kept(found) == kept(duty)


def test_a_duty_reads_back_equal_after_every_step_of_its_life(ready: UowFactory) -> None:
    with ready() as u:
        u.duties.add(new_duty())
        u.commit()
    for number, step in enumerate(LIFE, 1):
        with ready() as u:
            duty = u.duties.get(DUTY)
            step(duty)
            u.duties.save(duty)
            u.commit()
        with ready() as u:
            assert kept(u.duties.get(DUTY)) == kept(duty), f"after step {number}"
    # the life did leave something in every part, so the comparisons above compared something
    assert duty.state is State.FILED and duty.machine_done > 0
    assert len(duty.reviews) == 2 and len(duty.extensions) == 1 and duty.publication is not None
    assert any(o.attachments for o in duty.opinions) and all(o.ruling for o in duty.opinions)
    assert {r.round for r in duty.requests} == {1, 2} and any(r.replied_at is None for r in duty.requests)


def test_getting_an_unknown_duty_raises_duty_not_found(ready: UowFactory) -> None:
    with ready() as u:
        u.duties.add(new_duty())
        with pytest.raises(DutyNotFound):
            u.duties.get("sfb2007-129-09-09-9-nobody")


def test_duties_are_listed_by_notice_then_id_and_filtered_by_notice(ready: UowFactory) -> None:
    duties = [
        lived(new_duty("x-2"), LIFE[:8]),
        new_duty("y-1", EARLIER_NOTICE),
        lived(new_duty("x-1"), LIFE[:3]),
    ]
    with ready() as u:
        for duty in duties:
            u.duties.add(duty)
        u.commit()
    with ready() as u:
        everything = u.duties.list()
        of_notice = u.duties.list(NOTICE)
        assert u.duties.list("sfb2099-1") == []
        assert [kept(d) for d in everything] == [kept(u.duties.get(d.id)) for d in everything]
    assert [(d.notice_id, d.id) for d in everything] == [
        (EARLIER_NOTICE, "y-1"),
        (NOTICE, "x-1"),
        (NOTICE, "x-2"),
    ]
    assert [d.id for d in of_notice] == ["x-1", "x-2"]
    # each listed duty carries its own history, not another's
    assert {d.id: kept(d) for d in everything} == {d.id: kept(d) for d in duties}


def test_saving_a_duty_bumps_its_version(ready: UowFactory) -> None:
    with ready() as u:
        u.duties.add(new_duty())
        u.commit()
    with ready() as u:
        duty = u.duties.get(DUTY)
        duty.start(OFFICER, at(9, 24))
        u.duties.save(duty)
        assert duty.version == 2
        duty.upload(OFFICER, at(9, 27), "doc-1")
        u.duties.save(duty)  # a second save in the same transaction, from the version the first left
        assert duty.version == 3
        u.commit()
    with ready() as u:
        found = u.duties.get(DUTY)
    assert found.version == 3
    assert kept(found) == kept(duty)


def test_a_stale_duty_is_refused_and_nothing_is_written(ready: UowFactory) -> None:
    with ready() as u:
        u.duties.add(new_duty())
        u.commit()
    with ready() as u:
        stale = u.duties.get(DUTY)
    with ready() as u:
        winner = u.duties.get(DUTY)
        winner.start(OFFICER, at(9, 24))
        u.duties.save(winner)
        u.commit()
    lived(stale, LIFE[:4])  # more events, requests and a new state than the winner's
    with ready() as u:
        with pytest.raises(ConcurrencyConflict):
            u.duties.save(stale)
        assert kept(u.duties.get(DUTY)) == kept(winner)
        u.commit()  # even a caller that commits after the refusal writes nothing of the stale copy
    with ready() as u:
        assert kept(u.duties.get(DUTY)) == kept(winner)


def test_a_catalogue_deadline_amended_after_an_extension_reads_back_as_amended(ready: UowFactory) -> None:
    with ready() as u:
        u.duties.add(lived(new_duty(), (*LIFE[:1], _extend)))
        u.commit()
    with ready() as u:
        duty = u.duties.get(DUTY)
        # the catalogue moves its deadline, still before the extended one: the extension stands
        assert duty.amend(replace(duty.spec, deadline=D(2008, 1, 31)), "admin", at(12, 1), CAL) == [
            "deadline"
        ]
        u.duties.save(duty)
        u.commit()
    with ready() as u:
        found = u.duties.get(DUTY)
    assert (found.spec.deadline, found.deadline) == (D(2008, 1, 31), D(2008, 3, 31))
    assert kept(found) == kept(duty)


def test_of_two_copies_saved_in_one_transaction_the_second_is_refused(ready: UowFactory) -> None:
    with ready() as u:
        u.duties.add(new_duty())
        first, second = u.duties.get(DUTY), u.duties.get(DUTY)
        first.start(OFFICER, at(9, 24))
        u.duties.save(first)
        second.withdraw(COORDINATOR, at(9, 25), "任务调整")
        with pytest.raises(ConcurrencyConflict):
            u.duties.save(second)
        assert kept(u.duties.get(DUTY)) == kept(first)


# --- users ----------------------------------------------------------------------------------------------------


def test_getting_an_unknown_user_raises_unknown_user(ready: UowFactory) -> None:
    with ready() as u:
        u.users.add(User("li.si", "李四", "caizheng", frozenset({UserRole.OFFICER})), NOW)
        with pytest.raises(UnknownUser):
            u.users.get("wang.wu")


def test_an_added_user_reads_back_and_adding_the_id_again_updates_it(ready: UowFactory) -> None:
    first = User("li.si", "李四", "caizheng", frozenset({UserRole.OFFICER}), "li.si@caizheng.example")
    again = User("li.si", "李四（调任）", "keji", frozenset({UserRole.CONSULTEE, UserRole.REVIEWER}))
    with ready() as u:
        u.users.add(first, at(9, 1))
        u.commit()
    with ready() as u:
        assert u.users.get("li.si") == first
        u.users.add(again, at(10, 1))
        u.commit()
    with ready() as u:
        assert u.users.get("li.si") == again
        assert u.users.list() == [again]


def test_users_are_listed_by_id(ready: UowFactory) -> None:
    users = [
        User(i, f"用户 {i}", "maogong", frozenset({UserRole.ADMIN}))
        for i in ("zhao.liu", "admin", "li.si", "li")
    ]
    with ready() as u:
        assert u.users.list() == []
        for user in users:
            u.users.add(user, NOW)
        u.commit()
    with ready() as u:
        assert [x.id for x in u.users.list()] == ["admin", "li", "li.si", "zhao.liu"]
        assert sorted(u.users.list(), key=lambda x: x.id) == sorted(users, key=lambda x: x.id)


# --- notices --------------------------------------------------------------------------------------------------


def test_a_notice_never_ingested_is_none(ready: UowFactory) -> None:
    with ready() as u:
        assert u.notices.get("sfb2099-1") is None


def test_a_saved_notice_reads_back_as_saved_and_saving_it_again_replaces_it(ready: UowFactory) -> None:
    first = notice("sfb2007-200")
    with ready() as u:
        u.notices.save(first)
        u.commit()
    with ready() as u:
        assert u.notices.get("sfb2007-200") == first
    edited = replace(
        notice("sfb2007-200", title="关于加快服务外包发展的通知（修订）"),
        coordinator=Coordinator("bangongting", "市政府办公厅督查室", None),
        deadline=None,
        ingested_at=at(10, 1),
    )
    with ready() as u:
        u.notices.save(edited)
        u.commit()
    with ready() as u:
        assert u.notices.get("sfb2007-200") == edited
        assert [n.id for n in u.notices.list()].count("sfb2007-200") == 1


def test_notices_are_listed_by_id(uow: UowFactory, registry: Registry) -> None:
    ids = ["sfb2007-300", "gbh2019-31", "sfb2007-129", "hzbh2015-112"]
    with uow() as u:
        u.departments.sync(list(registry))
        assert u.notices.list() == []
        for i in ids:
            u.notices.save(notice(i))
        u.commit()
    with uow() as u:
        assert u.notices.list() == [notice(i) for i in sorted(ids)]


# --- departments ----------------------------------------------------------------------------------------------


def _member(key: str) -> User:
    return User(f"u.{key}", f"{key} 的联络员", key, frozenset({UserRole.CONSULTEE}))


def test_synced_departments_are_the_ones_users_can_belong_to(uow: UowFactory) -> None:
    with uow() as u:
        u.departments.sync([Department("alpha", "甲局"), Department("beta", "乙局", short=("乙",))])
        u.commit()
    with uow() as u:
        u.users.add(_member("alpha"), NOW)
        u.users.add(_member("beta"), NOW)
        u.commit()
    with uow() as u:
        assert [x.department for x in u.users.list()] == ["alpha", "beta"]


def test_a_sync_renames_the_changed_departments_and_deletes_none(uow: UowFactory) -> None:
    with uow() as u:
        u.departments.sync([Department("alpha", "甲局"), Department("beta", "乙局")])
        u.users.add(_member("alpha"), NOW)
        u.commit()
    with uow() as u:  # beta has left the registry; alpha is renamed and gamma takes its old name
        u.departments.sync([Department("alpha", "甲乙局", short=("甲乙",)), Department("gamma", "甲局")])
        u.commit()
    with uow() as u:
        u.users.add(_member("beta"), NOW)
        u.users.add(_member("gamma"), NOW)
        u.users.add(replace(_member("alpha"), name="甲乙局的联络员"), NOW)
        u.commit()
    with uow() as u:
        assert [(x.department, x.name) for x in u.users.list()] == [
            ("alpha", "甲乙局的联络员"),
            ("beta", "beta 的联络员"),
            ("gamma", "gamma 的联络员"),
        ]


def test_a_name_a_department_gave_up_may_go_to_another_whatever_the_registry_order(uow: UowFactory) -> None:
    with uow() as u:
        u.departments.sync([Department("alpha", "甲局")])
        u.commit()
    with (
        uow() as u
    ):  # a valid registry: alpha is renamed, and the new gamma, listed first, takes its old name
        u.departments.sync([Department("gamma", "甲局"), Department("alpha", "甲乙局")])
        u.commit()
    with uow() as u:
        u.users.add(_member("gamma"), NOW)
        u.users.add(_member("alpha"), NOW)
        u.commit()
    with uow() as u:
        assert [x.department for x in u.users.list()] == ["alpha", "gamma"]


def test_syncing_the_same_registry_again_is_harmless(uow: UowFactory, registry: Registry) -> None:
    with uow() as u:
        u.departments.sync(list(registry))
        u.departments.sync(list(registry))
        u.commit()
    with uow() as u:
        u.departments.sync(list(registry))
        u.users.add(_member("caizheng"), NOW)
        u.commit()
    with uow() as u:
        assert u.users.get("u.caizheng").department == "caizheng"


# --- machine steps --------------------------------------------------------------------------------------------


def test_a_step_is_none_until_recorded_then_gives_its_documents(stored: UowFactory) -> None:
    with stored() as u:
        assert u.machine.done(DUTY, 1, "draft") is None
        assert u.machine.record(DUTY, 1, "draft", ("d.draft.v1", "d.explanation.v1"), NOW) is True
        assert u.machine.done(DUTY, 1, "draft") == ("d.draft.v1", "d.explanation.v1")
        assert u.machine.record(DUTY, 1, "close", (), NOW) is True
        assert u.machine.done(DUTY, 1, "close") == ()  # done, with nothing stored: not None
        assert u.machine.done(DUTY, 2, "draft") is None
        assert u.machine.done(DUTY, 1, "table") is None
        u.commit()
    with stored() as u:
        assert u.machine.done(DUTY, 1, "draft") == ("d.draft.v1", "d.explanation.v1")


def test_a_step_recorded_twice_is_refused_and_keeps_its_first_documents(stored: UowFactory) -> None:
    with stored() as u:
        assert u.machine.record(DUTY, 1, "draft", ("d.draft.v1",), NOW) is True
        u.commit()
    with stored() as u:
        assert u.machine.record(DUTY, 1, "draft", ("d.draft.v2",), NOW) is False
        assert u.machine.record(DUTY, 2, "draft", ("d.draft.v2",), NOW) is True  # still usable
        u.commit()
    with stored() as u:
        assert u.machine.done(DUTY, 1, "draft") == ("d.draft.v1",)
        assert u.machine.done(DUTY, 2, "draft") == ("d.draft.v2",)


# --- dispatches -----------------------------------------------------------------------------------------------


def dispatch(attempt: int, stage: str = "draft", stage_version: int = 1, token: str = "tok") -> Dispatch:
    return Dispatch(DUTY, stage, stage_version, attempt, at(9, 24), at(9, 24, 10, attempt), token=token)


def test_a_dispatch_is_recorded_once_under_its_key(stored: UowFactory) -> None:
    with stored() as u:
        assert u.dispatches.add(dispatch(1, token="first")) is True
        assert u.dispatches.add(dispatch(2)) is True
        u.commit()
    with stored() as u:
        assert u.dispatches.add(dispatch(1, token="second")) is False
        assert u.dispatches.add(dispatch(2, token="second")) is False
        assert u.dispatches.latest(DUTY, 1, "draft") == dispatch(2)


def test_a_refused_dispatch_leaves_the_transaction_usable(stored: UowFactory) -> None:
    with stored() as u:
        u.dispatches.add(dispatch(1, token="first"))
        u.commit()
    with stored() as u:
        u.dispatches.add(dispatch(1, token="second"))  # refused: on PostgreSQL a failed insert would abort
        u.dispatches.set_run(dispatch(1).key, "run-1")
        u.dispatches.add(dispatch(1, stage="close"))
        u.machine.record(DUTY, 1, "draft", ("d.draft.v1",), NOW)
        u.commit()
    with stored() as u:
        assert u.dispatches.latest(DUTY, 1, "draft") == replace(
            dispatch(1, token="first"), flow_run_id="run-1"
        )
        assert u.dispatches.latest(DUTY, 1, "close") == dispatch(1, stage="close")
        assert u.machine.done(DUTY, 1, "draft") == ("d.draft.v1",)


def test_the_latest_dispatch_is_the_highest_attempt_of_that_stage_version_and_work(
    stored: UowFactory,
) -> None:
    with stored() as u:
        assert u.dispatches.latest(DUTY, 1, "draft") is None
        for d in (
            dispatch(1),
            dispatch(3),
            dispatch(2),
            dispatch(5, stage_version=0),
            dispatch(7, stage="close"),
            dispatch(9, stage_version=2, stage="close"),
        ):
            u.dispatches.add(d)  # what add answers is the test above's business
        u.commit()
    with stored() as u:
        assert u.dispatches.latest(DUTY, 1, "draft") == dispatch(3)
        assert u.dispatches.latest(DUTY, 0, "draft") == dispatch(5, stage_version=0)
        assert u.dispatches.latest(DUTY, 1, "close") == dispatch(7, stage="close")
        assert u.dispatches.latest(DUTY, 2, "draft") is None
        assert u.dispatches.latest("sfb2007-129-09-09-9-nobody", 1, "draft") is None


def test_a_dispatch_remembers_its_flow_run_and_an_unknown_key_is_ignored(stored: UowFactory) -> None:
    with stored() as u:
        u.dispatches.add(dispatch(1))
        u.dispatches.add(dispatch(2))
        u.dispatches.set_run(dispatch(2).key, "run-2")
        u.dispatches.set_run(dispatch(4).key, "run-4")
        u.commit()
    with stored() as u:
        assert u.dispatches.latest(DUTY, 1, "draft") == replace(dispatch(2), flow_run_id="run-2")
        u.dispatches.set_run(dispatch(2).key, "run-2b")
        assert u.dispatches.latest(DUTY, 1, "draft") == replace(dispatch(2), flow_run_id="run-2b")


def test_runs_in_flight_are_those_with_a_flow_run_not_yet_seen_to_end(stored: UowFactory) -> None:
    with stored() as u:
        for n in (1, 2, 3):
            u.dispatches.add(dispatch(n))
        u.dispatches.set_run(dispatch(3).key, "run-3")
        u.dispatches.set_run(dispatch(2).key, "run-2")  # attempt 1 has no run yet: Prefect was unreachable
        u.commit()
    with stored() as u:
        assert [d.key for d in u.dispatches.in_flight()] == [dispatch(2).key, dispatch(3).key]  # oldest first
        u.dispatches.end(dispatch(2).key, NOW)
        u.dispatches.end("no:such:key:0", NOW)
        u.commit()
    with stored() as u:
        assert [d.flow_run_id for d in u.dispatches.in_flight()] == ["run-3"]
        u.dispatches.end(dispatch(2).key, NOW)  # ending twice keeps the first moment and changes nothing
        assert u.dispatches.latest(DUTY, 1, "draft") == replace(dispatch(3), flow_run_id="run-3")


# --- reminders: planning --------------------------------------------------------------------------------------


def test_added_reminders_are_pending_and_their_statuses_are_found_by_subject_and_notice(
    uow: UowFactory,
) -> None:
    planned = [
        reminder("a.1"),
        reminder("a.2", kind=Kind.OVERDUE, about="3"),
        reminder("b.1", "duty-b"),
        reminder("digest.1", NOTICE, kind=Kind.DIGEST, to="maogong:liaison", about=""),
        reminder("other.1", "duty-o", notice_id=EARLIER_NOTICE),
    ]
    with uow() as u:
        u.reminders.add(planned, NOW)
        u.commit()
    with uow() as u:
        assert u.reminders.statuses(DUTY) == {"a.1": "pending", "a.2": "pending"}
        assert u.reminders.statuses(NOTICE) == {"digest.1": "pending"}
        assert u.reminders.statuses("nobody") == {}
        assert u.reminders.notice_statuses(NOTICE) == {
            DUTY: {"a.1": "pending", "a.2": "pending"},
            "duty-b": {"b.1": "pending"},
            NOTICE: {"digest.1": "pending"},
        }
        assert u.reminders.notice_statuses("sfb2099-1") == {}
        assert sorted(every(u).values(), key=lambda r: r.key) == [
            StoredReminder(r, "pending") for r in sorted(planned, key=lambda r: r.key)
        ]


def test_a_key_added_again_keeps_its_first_row(uow: UowFactory) -> None:
    first = reminder("a.1")
    with uow() as u:
        u.reminders.add([first], NOW)
        into(u, "sent", ["a.1"])
        u.commit()
    with uow() as u:
        u.reminders.add([replace(first, send_on=D(2007, 10, 20), to="keji:officer"), reminder("a.2")], NOW)
        u.commit()
    with uow() as u:
        rows = every(u)
    assert rows["a.1"].reminder == first and rows["a.1"].status == "sent"
    assert rows["a.2"].status == "pending"


def test_a_cancel_cancels_only_the_pending_reminders_among_the_keys(uow: UowFactory) -> None:
    with uow() as u:
        u.reminders.add([reminder(k) for k in ("a", "b", "c", "d")], NOW)
        into(u, "sending", ["b"])
        into(u, "sent", ["c"])
        u.reminders.cancel(["a", "b", "c", "nobody"])
        u.commit()
    with uow() as u:
        assert u.reminders.statuses(DUTY) == {"a": "cancelled", "b": "sending", "c": "sent", "d": "pending"}


def test_due_reminders_are_the_pending_ones_whose_day_and_next_try_have_come(uow: UowFactory) -> None:
    later = NOW + dt.timedelta(seconds=60)
    with uow() as u:
        u.reminders.add(
            [
                reminder("k2", "s2"),
                reminder("k1", "s1", send_on=TODAY - dt.timedelta(days=3)),
                reminder("k0", "s2"),
                reminder("tomorrow", "s1", send_on=TODAY + dt.timedelta(days=1)),
                reminder("first", "s9", to="bangongting:liaison"),
                reminder("gone", "s1"),
                reminder("retry", "s1", to="zhishichanquan:officer"),
                reminder("sent", "s1"),
            ],
            NOW,
        )
        into(u, "cancelled", ["gone"])
        into(u, "sent", ["sent"])
        into(u, "sending", ["retry"])
        u.reminders.defer(["retry"], "421 try later", NOW, (60,))
        u.commit()
    with uow() as u:
        assert [r.key for r in u.reminders.due(TODAY, NOW)] == ["first", "k1", "k0", "k2"]
        assert [r.key for r in u.reminders.due(TODAY, later)] == ["first", "k1", "k0", "k2", "retry"]
        tomorrow = [r.key for r in u.reminders.due(TODAY + dt.timedelta(days=1), later)]
        assert tomorrow == ["first", "k1", "tomorrow", "k0", "k2", "retry"]
        assert all(r.status == "pending" for r in u.reminders.due(TODAY, later))


def test_a_claim_takes_only_pending_reminders_and_a_second_claim_gets_nothing(uow: UowFactory) -> None:
    with uow() as u:
        u.reminders.add([reminder(k) for k in ("a", "b", "c", "d")], NOW)
        into(u, "cancelled", ["c"])
        claimed = u.reminders.claim(["a", "b", "c", "nobody", "a"], "token-1", NOW)
        assert u.reminders.claim(["a", "b"], "token-1b", NOW) == []
        u.commit()
    assert sorted(r.key for r in claimed) == ["a", "b"]
    assert all(r.status == "sending" and r.claimed_at == NOW for r in claimed)
    assert {r.key: r.reminder for r in claimed} == {k: reminder(k) for k in ("a", "b")}
    with uow() as u:
        assert u.reminders.claim(["a", "b", "c"], "token-2", NOW + dt.timedelta(minutes=1)) == []
        assert u.reminders.statuses(DUTY) == {
            "a": "sending",
            "b": "sending",
            "c": "cancelled",
            "d": "pending",
        }


# --- reminders: sending ---------------------------------------------------------------------------------------


def test_settling_sets_the_status_and_fields_of_claimed_or_pending_reminders(uow: UowFactory) -> None:
    with uow() as u:
        u.reminders.add([reminder(k) for k in ("claimed", "pending", "cancelled")], NOW)
        into(u, "sending", ["claimed"])
        into(u, "cancelled", ["cancelled"])
        sent_at = NOW + dt.timedelta(seconds=5)
        u.reminders.settle(
            ["claimed"], "sent", sent_at, message_id="<m1@banfa>", addresses="li@caizheng.example"
        )
        u.reminders.settle(["pending", "cancelled"], "failed", sent_at, error="没有联系人地址")
        u.commit()
    with uow() as u:
        rows = every(u)
    assert (rows["claimed"].status, rows["claimed"].sent_at) == ("sent", sent_at)
    assert (rows["claimed"].message_id, rows["claimed"].addresses) == ("<m1@banfa>", "li@caizheng.example")
    assert (rows["pending"].status, rows["pending"].error, rows["pending"].sent_at) == (
        "failed",
        "没有联系人地址",
        None,
    )
    assert (rows["cancelled"].status, rows["cancelled"].error) == ("cancelled", "")


def test_record_sent_marks_sent_only_the_claimed_reminders_each_mail_carried(uow: UowFactory) -> None:
    with uow() as u:
        u.reminders.add([reminder(k) for k in ("a", "b", "c", "d")], NOW)
        into(u, "sending", ["a", "b", "d"])
        u.reminders.record_sent(
            [(["a"], "<m1@banfa>", "li@caizheng.example"), (["b", "c"], "<m2@banfa>", "wang@keji.example")],
            NOW,
        )
        u.commit()
    with uow() as u:
        rows = every(u)
    assert [(rows[k].status, rows[k].message_id, rows[k].addresses, rows[k].sent_at) for k in "abcd"] == [
        ("sent", "<m1@banfa>", "li@caizheng.example", NOW),
        ("sent", "<m2@banfa>", "wang@keji.example", NOW),
        ("pending", None, "", None),  # carried by a mail, but never claimed
        ("sending", None, "", None),  # claimed, carried by none
    ]


def test_a_deferred_reminder_is_pending_again_and_each_attempt_waits_its_turn(uow: UowFactory) -> None:
    waits = (10, 20)
    expected: list[tuple[int, dt.datetime]] = []
    with uow() as u:
        u.reminders.add([reminder("a"), reminder("b")], NOW)
        now = NOW
        for attempt, wait in enumerate((10, 20, 20), 1):  # the last wait repeats
            into(u, "sending", ["a"], now)
            u.reminders.defer(["a", "nobody"], f"try {attempt}", now, waits)
            expected.append((attempt, now + dt.timedelta(seconds=wait)))
            row = every(u)["a"]
            assert (row.status, row.attempts, row.next_try_at) == ("pending", *expected[-1])
            assert (row.error, row.claimed_at) == (f"try {attempt}", None)
            now = row.next_try_at + dt.timedelta(minutes=1)
        u.commit()
    with uow() as u:
        rows = every(u)
    assert (rows["a"].attempts, rows["a"].next_try_at) == expected[-1]
    assert (rows["b"].status, rows["b"].attempts, rows["b"].next_try_at) == ("pending", 0, None)


def test_claims_older_than_the_lease_become_uncertain(uow: UowFactory) -> None:
    with uow() as u:
        u.reminders.add([reminder(k) for k in ("early", "edge", "late", "pending")], NOW)
        into(u, "sending", ["early"], at(10, 15, 8))
        into(u, "sending", ["edge"], at(10, 15, 9))
        into(u, "sending", ["late"], at(10, 15, 10))
        assert u.reminders.expire_claims(at(10, 15, 9)) == ["early"]  # claimed before: not at
        assert u.reminders.expire_claims(at(10, 15, 9)) == []
        u.commit()
    with uow() as u:
        assert u.reminders.statuses(DUTY) == {
            "early": "uncertain",
            "edge": "sending",
            "late": "sending",
            "pending": "pending",
        }
        assert sorted(u.reminders.expire_claims(at(10, 16))) == ["edge", "late"]


def test_unreported_reminders_are_a_notices_uncertain_folded_and_failed_ones_until_reported(
    uow: UowFactory,
) -> None:
    keys = {s: f"{s}.1" for s in ("uncertain", "folded", "failed", "sent", "pending", "cancelled", "sending")}
    with uow() as u:
        u.reminders.add([reminder(k) for k in keys.values()], NOW)
        u.reminders.add([reminder("other.failed", "duty-o", notice_id=EARLIER_NOTICE)], NOW)
        for status, key in keys.items():
            if status != "pending":
                into(u, status, [key])
        into(u, "failed", ["other.failed"])
        u.commit()
    with uow() as u:
        assert {r.key for r in u.reminders.unreported(NOTICE)} == {"uncertain.1", "folded.1", "failed.1"}
        assert {r.key for r in u.reminders.unreported(EARLIER_NOTICE)} == {"other.failed"}
        u.reminders.report(["uncertain.1", "folded.1", "nobody"], "digest:2007-10-15")
        u.commit()
    with uow() as u:
        assert [r.key for r in u.reminders.unreported(NOTICE)] == ["failed.1"]
        rows = every(u)
    assert rows["uncertain.1"].reported_in == rows["folded.1"].reported_in == "digest:2007-10-15"
    assert rows["failed.1"].reported_in is None


def test_methods_taking_keys_take_many_at_once(uow: UowFactory) -> None:
    q = 300  # four quarters: more keys than a statement is given at once by an adapter that splits long lists
    planned = [
        reminder(f"k{i:04}", f"duty-{i:04}", kind=Kind.BEFORE_REVIEW, about="revision") for i in range(4 * q)
    ]
    keys, subjects = [r.key for r in planned], [r.subject for r in planned]
    with uow() as u:
        u.reminders.add(planned, NOW)
        u.reminders.cancel(keys[:q])
        assert len(u.reminders.claim(keys, "token", NOW)) == 3 * q
        u.reminders.record_sent([(keys[q : 2 * q], "<m1@banfa>", "li@caizheng.example")], NOW)
        u.reminders.defer(keys[2 * q :], "421", NOW, (60,))
        u.reminders.settle(keys[3 * q :], "failed", NOW, error="没有联系人地址")
        u.reminders.report(keys[3 * q :], "digest:1")
        u.commit()
    with uow() as u:
        rows = every(u)
        assert [rows[k].status for k in keys] == ["cancelled"] * q + ["sent"] * q + ["pending"] * q + [
            "failed"
        ] * q
        assert u.reminders.mailed([(s, "caizheng:officer") for s in subjects]) == {
            (s, "caizheng:officer") for s in subjects[q : 2 * q]
        }
        assert set(u.reminders.milestones(subjects)) == set(subjects[2 * q : 3 * q])
        assert u.reminders.unreported(NOTICE) == []
    assert {r.reported_in for r in rows.values() if r.status == "failed"} == {"digest:1"}


# --- reminders: what mails say --------------------------------------------------------------------------------


def test_facts_describe_the_duties_asked_for_and_leave_unknown_ids_out(ready: UowFactory) -> None:
    started = lived(new_duty("x-1", title="深圳市服务外包人才培训资助办法"), LIFE[:1])
    extended = lived(new_duty("x-2", lead="maogong"), LIFE[:1])
    extended.extend(D(2008, 3, 31), COORDINATOR, "经领导小组同意延期", at(9, 26), CAL)
    with ready() as u:
        for duty in (extended, new_duty("y-1", EARLIER_NOTICE), started):
            u.duties.add(duty)
        u.commit()
    expected = {
        "x-1": DutyFacts("x-1", NOTICE, "深圳市服务外包人才培训资助办法", "caizheng", "起草中", D(2007, 12, 31), D(2007, 12, 28)),
        "x-2": DutyFacts(
            "x-2", NOTICE, spec().title or "", "maogong", "起草中", D(2008, 3, 31), CAL.on_or_before(D(2008, 3, 31))
        ),
    }  # fmt: skip
    with ready() as u:
        assert u.reminders.facts(["x-2", "x-1", "nobody", NOTICE]) == expected
        assert u.reminders.facts([]) == {}
        assert u.reminders.notice_facts(NOTICE) == [expected["x-1"], expected["x-2"]]
        assert [f.id for f in u.reminders.notice_facts(EARLIER_NOTICE)] == ["y-1"]
        assert u.reminders.notice_facts("sfb2099-1") == []


def test_milestones_are_the_days_ahead_that_pending_reminders_name(uow: UowFactory) -> None:
    review, publish = D(2007, 11, 9), D(2007, 12, 28)
    with uow() as u:
        u.reminders.add(
            [
                reminder("a.publish.10", kind=Kind.BEFORE_PUBLISH, about="publish", due=publish),
                reminder("a.review.5", kind=Kind.BEFORE_REVIEW, about="revision", due=review),
                reminder(
                    "a.review.3", kind=Kind.BEFORE_REVIEW, about="revision", due=review, to="keji:officer"
                ),
                reminder(
                    "a.deliberation", kind=Kind.BEFORE_DELIBERATION, about="deliberation", due=D(2007, 12, 1)
                ),
                reminder(
                    "a.consultation", kind=Kind.BEFORE_CONSULTATION, about="consultation", due=D(2007, 10, 1)
                ),
                reminder("a.overdue", kind=Kind.OVERDUE, about="1", due=D(2007, 10, 20)),
                reminder("a.reply", kind=Kind.REPLY_DUE, about="renshi", due=D(2007, 10, 22)),
                reminder(
                    "b.drafting", "duty-b", kind=Kind.BEFORE_DRAFTING, about="drafting", due=D(2007, 10, 30)
                ),
                reminder("c.sent", "duty-c", kind=Kind.BEFORE_PUBLISH, about="publish", due=publish),
            ],
            NOW,
        )
        into(u, "cancelled", ["a.deliberation"])
        into(u, "sent", ["a.consultation", "c.sent"])
        u.commit()
    with uow() as u:
        found = u.reminders.milestones([DUTY, "duty-b", "duty-c", "nobody"])
    assert found[DUTY] == [("revision", review), ("publish", publish)]  # by day, once each
    assert found["duty-b"] == [("drafting", D(2007, 10, 30))]
    assert found.get("duty-c", []) == found.get("nobody", []) == []


def test_mailed_pairs_are_those_a_mail_went_or_may_have_gone_to(uow: UowFactory) -> None:
    with uow() as u:
        u.reminders.add(
            [
                reminder("uncertain", "b", to="maogong:liaison"),
                reminder("sent", "a", to="caizheng:officer"),
                reminder("pending", "a", to="maogong:liaison"),
                reminder("failed", "b", to="caizheng:officer"),
                reminder("folded", "c", to="caizheng:officer"),
                reminder("cancelled", "c", to="keji:officer"),
                reminder("not-asked", "d", to="caizheng:officer"),
            ],
            NOW,
        )
        for status in ("uncertain", "sent", "failed", "folded", "cancelled"):
            into(u, status, [status])
        into(u, "sent", ["not-asked"])
        u.commit()
    asked = [
        ("a", "caizheng:officer"),
        ("b", "maogong:liaison"),
        ("a", "maogong:liaison"),
        ("b", "caizheng:officer"),
        ("c", "caizheng:officer"),
        ("c", "keji:officer"),
        ("a", "renshi:liaison"),
    ]
    with uow() as u:
        assert u.reminders.mailed(asked) == {("a", "caizheng:officer"), ("b", "maogong:liaison")}
        assert u.reminders.mailed([]) == set()


def test_overdue_duties_without_an_overdue_reminder_for_today_are_found_in_id_order(
    ready: UowFactory,
) -> None:
    past = D(2007, 10, 12)

    def duty(duty_id: str, steps: tuple[Step, ...] = LIFE[:1], lwd: dt.date | None = past) -> Duty:
        return lived(new_duty(duty_id, last_working_day=lwd), steps)

    duties = [
        duty("od-published", ON_TIME[:-1]),
        duty("od-drafting"),
        duty("od-not-started", ()),
        duty("od-planned"),
        duty("od-yesterday"),
        duty("od-another-kind"),
        duty("od-due-today", lwd=TODAY),
        duty("od-no-deadline", lwd=None),
        duty("od-filed", ON_TIME),
        lived(duty("od-withdrawn"), (lambda d: d.withdraw(COORDINATOR, at(10, 1), "任务调整"),)),
    ]
    with ready() as u:
        for d in duties:
            u.duties.add(d)
        u.reminders.add(
            [
                reminder("planned", "od-planned", kind=Kind.OVERDUE, about="1"),
                reminder(
                    "yesterday", "od-yesterday", kind=Kind.OVERDUE, send_on=TODAY - dt.timedelta(days=1)
                ),
                reminder("another", "od-another-kind", kind=Kind.BEFORE_PUBLISH),
            ],
            NOW,
        )
        u.commit()
    with ready() as u:
        assert u.reminders.overdue_without(TODAY) == ["od-another-kind", "od-drafting", "od-yesterday"]
        assert u.reminders.overdue_without(past) == []


def test_the_list_filters_by_subject_day_and_status_and_orders_by_day_recipient_and_key(
    uow: UowFactory,
) -> None:
    day = TODAY
    later = day + dt.timedelta(days=3)
    with uow() as u:
        u.reminders.add(
            [
                reminder("k3", "a", send_on=later),
                reminder("k2", "a", send_on=day, to="maogong:liaison"),
                reminder("k1", "b", send_on=day, to="maogong:liaison"),
                reminder("k9", "b", send_on=day, to="caizheng:officer"),
                reminder("k0", "a", send_on=later, to="caizheng:officer"),
                reminder("done", "a", send_on=day - dt.timedelta(days=1)),
            ],
            NOW,
        )
        into(u, "sent", ["done"])
        u.commit()
    with uow() as u:
        assert [r.key for r in u.reminders.list()] == ["k9", "k1", "k2", "k0", "k3"]
        assert [r.key for r in u.reminders.list(pending_only=False)] == ["done", "k9", "k1", "k2", "k0", "k3"]
        assert [r.key for r in u.reminders.list(subject="a")] == ["k2", "k0", "k3"]
        assert [r.key for r in u.reminders.list(due_before=later)] == ["k9", "k1", "k2"]
        assert [r.key for r in u.reminders.list(subject="a", due_before=later, pending_only=False)] == [
            "done",
            "k2",
        ]
        assert u.reminders.list(subject="nobody") == []
        assert all(r.status == "pending" for r in u.reminders.list())


def test_the_next_day_is_the_first_pending_send_day_after_the_given_one(uow: UowFactory) -> None:
    with uow() as u:
        assert u.reminders.next_day(TODAY) is None
        u.reminders.add(
            [
                reminder("today", send_on=TODAY),
                reminder("sent", send_on=D(2007, 10, 16)),
                reminder("cancelled", send_on=D(2007, 10, 17)),
                reminder("later", send_on=D(2007, 10, 22)),
                reminder("soon", send_on=D(2007, 10, 18)),
            ],
            NOW,
        )
        into(u, "sent", ["sent"])
        into(u, "cancelled", ["cancelled"])
        u.commit()
    with uow() as u:
        assert u.reminders.next_day(TODAY - dt.timedelta(days=1)) == TODAY
        assert u.reminders.next_day(TODAY) == D(2007, 10, 18)
        assert u.reminders.next_day(D(2007, 10, 18)) == D(2007, 10, 22)
        assert u.reminders.next_day(D(2007, 10, 22)) is None


# --- accounts and the audit trail ---------------------------------------------------------------------------


def test_an_account_is_a_users_and_starts_without_a_password(ready: UowFactory) -> None:
    with ready() as u:
        with pytest.raises(UnknownUser):
            u.accounts.get("u.caizheng")
        u.users.add(_member("caizheng"), NOW)
        assert u.accounts.get("u.caizheng") == Account("u.caizheng")
        with pytest.raises(UnknownUser):
            u.accounts.save(Account("nobody", disabled=True))


def test_a_saved_account_reads_back_and_leaves_the_user_as_it_was(ready: UowFactory) -> None:
    account = Account("u.caizheng", "$argon2id$hash", True, True, 3, at(10, 16, 9, 30), at(10, 15, 8), 7)
    with ready() as u:
        u.users.add(_member("caizheng"), NOW)
        u.accounts.save(account)
        u.commit()
    with ready() as u:
        assert u.accounts.get("u.caizheng") == account
        assert u.users.get("u.caizheng") == _member("caizheng")
        u.users.add(
            replace(_member("caizheng"), name="财政联络员"), NOW
        )  # updating the user keeps the account
        assert u.accounts.get("u.caizheng") == account


def test_api_tokens_are_kept_by_digest_and_revoked_per_user(ready: UowFactory) -> None:
    kept = ApiToken("a" * 64, "u.caizheng", at(10, 15, 9), at(10, 20, 9))
    other = ApiToken("b" * 64, "u.renshi", at(10, 15, 9))
    with ready() as u:
        with pytest.raises(UnknownUser):
            u.accounts.add_token(kept)
        u.users.add(_member("caizheng"), NOW)
        u.users.add(_member("renshi"), NOW)
        u.accounts.add_token(kept)
        u.accounts.add_token(other)
        u.commit()
    with ready() as u:
        assert u.accounts.token("a" * 64) == kept and u.accounts.token("c" * 64) is None
        assert u.accounts.revoke_tokens("u.caizheng", at(10, 16, 9)) == 1
        assert u.accounts.revoke_tokens("u.caizheng", at(10, 17, 9)) == 0
        u.commit()
    with ready() as u:
        assert u.accounts.token("a" * 64) == replace(kept, revoked=at(10, 16, 9))
        assert u.accounts.token("b" * 64) == other  # another user's token stays


def test_the_audit_trail_keeps_records_in_order_and_finds_them_by_subject_or_actor(ready: UowFactory) -> None:
    records = [
        AuditRecord(at(10, 15, 9), "admin", "user-add", "li.si", "caizheng officer"),
        AuditRecord(at(10, 15, 10), "li.si", "login", "li.si"),
        AuditRecord(at(10, 16, 9), "li.si", "export", f"{DUTY}.draft.v1", "征求意见稿.docx"),
    ]
    with ready() as u:
        for r in records:
            u.audit.record(r)
        u.commit()
    with ready() as u:
        assert u.audit.list() == records
        assert u.audit.list(subject="li.si") == records[:2]
        assert u.audit.list(actor="li.si") == records[1:]
        assert u.audit.list(subject="li.si", actor="admin") == records[:1]


# --- read models --------------------------------------------------------------------------------------------


def _rows_by_id(rows: list[DutyRow]) -> dict[str, DutyRow]:
    return {r.id: r for r in rows}


def test_a_duty_row_says_what_the_lists_need_of_the_duty_and_its_notice(ready: UowFactory) -> None:
    duty = lived(new_duty(), LIFE[:6])  # consulting: renshi and maogong replied, round 1
    waiting = lived(new_duty("sfb2007-129-02-02-2-caizheng"), (*LIFE[:1], *LIFE[2:4]))  # nobody replied yet
    with ready() as u:
        u.duties.add(duty)
        u.duties.add(waiting)
        u.commit()
    with ready() as u:
        rows = _rows_by_id(u.views.notice_rows(NOTICE))
    row, open_row = rows[DUTY], rows[waiting.id]
    assert (row.state, row.lead, row.version, row.stage_version, row.machine_done) == (
        State.CONSULTING, "keji", 1, duty.stage_version, -1,
    )  # fmt: skip
    assert (row.coordinator, row.reviewer, row.title, row.location) == (
        "maogong", "fazhiban", duty.spec.title, duty.spec.location,
    )  # fmt: skip
    assert (row.deadline, row.last_working_day, row.consultees) == (
        duty.deadline, duty.last_working_day, duty.spec.consultees,
    )  # fmt: skip
    assert (row.unanswered, row.undecided, row.submitted) == ((), 3, False)
    assert row.reply_due == max(r.due for r in duty.requests) and row.asked == ("maogong", "renshi")
    assert open_row.unanswered == ("maogong", "renshi") and open_row.undecided == 0
    with ready() as u:
        assert u.views.notice_rows(EARLIER_NOTICE) == [] and u.views.notice_rows("no-such-notice") == []


def test_search_rows_match_id_title_or_lead_literally_in_id_order_up_to_a_limit(ready: UowFactory) -> None:
    first = new_duty("sfb2007-129-01-01-1-keji", lead="keji", title="深圳市服务外包人才培训办法")
    second = new_duty("sfb2007-129-01-01-2-caizheng", title="深圳市资助资金使用办法（100%_配套）")
    third = new_duty("sfb2007-129-01-01-3-caizheng", title="深圳市海外拓展基金管理办法")
    with ready() as u:
        for duty in (third, first, second):
            u.duties.add(duty)
        u.commit()
    with ready() as u:
        assert [r.id for r in u.views.search_rows("人才", (), 10)] == [first.id]
        assert [r.id for r in u.views.search_rows("01-01-3", (), 10)] == [third.id]
        assert [r.id for r in u.views.search_rows("%_", (), 10)] == [second.id]  # no wildcard
        assert [r.id for r in u.views.search_rows("无此词", ("keji",), 10)] == [first.id]
        assert [r.id for r in u.views.search_rows("深圳市", (), 2)] == [first.id, second.id]
        assert u.views.search_rows("无此词", (), 10) == []


def test_the_open_round_is_the_latest_and_a_submission_is_seen(ready: UowFactory) -> None:
    duty = lived(new_duty(), LIFE[:14])  # a second round is open, renshi has answered it, maogong not yet
    with ready() as u:
        u.duties.add(duty)
        u.commit()
    with ready() as u:
        [row] = u.views.notice_rows(NOTICE)
    assert (row.state, row.unanswered, row.submitted) == (State.CONSULTING, ("maogong",), True)
    assert row.reply_due == max(r.due for r in duty.current_requests())


def test_task_rows_are_the_unfinished_duties_that_may_wait_on_a_department(ready: UowFactory) -> None:
    led = lived(new_duty("sfb2007-129-01-01-1-keji", lead="keji"), (LIFE[0],))
    asked = lived(new_duty("sfb2007-129-01-01-2-caizheng"), (*LIFE[:1], *LIFE[2:4]))  # asks maogong, renshi
    reviewing = lived(new_duty("sfb2007-129-01-01-3-caizheng"), LIFE[:10])  # reassigned to keji
    deliberating = lived(new_duty("sfb2007-129-01-01-4-caizheng"), LIFE[:17])  # reassigned to keji
    done = lived(new_duty("sfb2007-129-01-01-5-keji", lead="keji"), (LIFE[0],))
    done.withdraw(COORDINATOR, at(9, 26), "合并")
    with ready() as u:
        for d in (led, asked, reviewing, deliberating, done):
            u.duties.add(d)
        u.commit()
    with ready() as u:
        found = {
            dept: [r.id for r in u.views.task_rows(dept)]
            for dept in ("keji", "renshi", "maogong", "fazhiban")
        }
    assert found == {
        "keji": [led.id, reviewing.id, deliberating.id],  # it leads them
        "renshi": [asked.id],  # its reply is awaited
        "maogong": [asked.id, deliberating.id],  # its reply is awaited; it coordinates the deliberation
        "fazhiban": [reviewing.id],  # the legal office reviews it
    }


def test_events_are_found_by_duty_and_action_in_order(ready: UowFactory) -> None:
    duty = lived(new_duty(), LIFE)
    with ready() as u:
        u.duties.add(duty)
        u.commit()
    wanted = frozenset({"open_consultation", "submit"})
    with ready() as u:
        found = u.views.events([DUTY, "no-such-duty"], wanted)
    assert found == {DUTY: [(e.action, e.at) for e in duty.events if e.action in wanted]}


def test_consultations_ended_are_those_whose_current_round_was_due_before_today(ready: UowFactory) -> None:
    """The scheduler's tick asks the store, not every duty: the latest round decides, and only in
    consultation."""
    first_round = lived(new_duty("x-1"), LIFE[:4])  # opened 9-28
    second_round = lived(new_duty("x-2"), LIFE[:14])  # round 2 opened 11-7, round 1 long due
    closed = lived(new_duty("x-3"), LIFE[:8])  # consulted and closed
    with ready() as u:
        for duty in (first_round, second_round, closed):
            u.duties.add(duty)
        u.commit()
    due_1 = max(r.due for r in first_round.current_requests())
    due_2 = max(r.due for r in second_round.current_requests())
    assert due_1 < due_2
    with ready() as u:
        assert u.duties.consultations_ended(due_1) == ()
        assert u.duties.consultations_ended(due_1 + dt.timedelta(days=1)) == ("x-1",)
        assert u.duties.consultations_ended(due_2 + dt.timedelta(days=1)) == ("x-1", "x-2")
        now = dt.datetime.combine(due_2 + dt.timedelta(days=1), dt.time(9), tzinfo=SHANGHAI)
        assert [d.id for d in u.duties.list() if d.window_ended(now)] == ["x-1", "x-2"]
