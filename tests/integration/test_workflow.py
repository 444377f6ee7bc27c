"""The drafting workflow on a real database (SQLite always, PostgreSQL when configured): services end to end."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.bootstrap import Workflow
from engine.domain.drafting.decisions import Decision, Legality, ReplyKind
from engine.domain.drafting.versions import DocumentKind
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.model import State
from engine.errors import ConcurrencyConflict, DutyNotFound, Forbidden, IllegalTransition, UnknownUser
from engine.services import workflow as wf
from engine.services.machine import advance
from engine.services.notices import ingest_notice
from engine.services.views import status, timeline
from tests.support.docx_fixtures import made_by_python_docx
from tests.support.workflows import SAMPLE, at, seed_catalogue, settings_for, workflow_with_people


@pytest.fixture
def flow(database_url: str, tmp_path: Path) -> Iterator[Workflow]:
    workflow = workflow_with_people(database_url, tmp_path)[0]
    yield workflow
    workflow.db_engine.dispose()


def _state(flow: Workflow, duty_id: str = SAMPLE) -> State:
    with flow.ports.uow() as uow:
        return uow.duties.get(duty_id).state


def _kinds(flow: Workflow, duty_id: str = SAMPLE) -> list[str]:
    return [
        f"{v.kind.value}{'.' + v.variant if v.variant else ''}.v{v.version}"
        for v in flow.ports.documents.versions(duty_id)
    ]


def _through_consultation(flow: Workflow) -> None:
    p, d = flow.ports, flow.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    wf.record_opinion(
        SAMPLE, (OpinionInput("第四条", "建议明确资助标准"),), actor="li", now=at("2007-10-08"), ports=p
    )


def test_a_duty_goes_from_ingest_to_filing_with_its_documents_at_each_stage(flow: Workflow) -> None:
    p, d = flow.ports, flow.dispatcher
    _through_consultation(flow)
    assert _kinds(flow) == ["draft.v1", "explanation.v1", "consultation-letter.maogong.v1"]
    wf.close_consultation(SAMPLE, actor="zhang", now=at("2007-10-09"), ports=p, dispatcher=d)
    with p.uow() as uow:
        opinion = uow.duties.get(SAMPLE).opinions[0]
    wf.decide_opinion(
        SAMPLE, opinion.id, Decision.ADOPTED, "已补充", actor="zhang", now=at("2007-10-10"), ports=p
    )
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-11"), ports=p, dispatcher=d)
    wf.record_review(SAMPLE, Legality.LAWFUL, "", actor="fa", now=at("2007-10-18"), ports=p, dispatcher=d)
    wf.deliberate(SAMPLE, True, "", actor="office", now=at("2007-10-22"), ports=p, dispatcher=d)
    wf.publish(
        SAMPLE,
        "深财〔2007〕35号",
        at("2007-10-23").date(),
        at("2008-01-01").date(),
        actor="zhang",
        now=at("2007-10-23"),
        ports=p,
        dispatcher=d,
    )
    wf.file_duty(SAMPLE, at("2007-10-25").date(), actor="zhang", now=at("2007-10-25"), ports=p, dispatcher=d)
    assert _state(flow) is State.FILED
    kinds = _kinds(flow)
    for expected in (
        "adoption-table.v1",
        "review-draft.v1",
        "review-letter.v1",
        "legality-opinion.v1",
        "published.v1",
    ):
        assert expected in kinds
    events = timeline(SAMPLE, ports=p).events
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[-1].action == "file" and events[-1].actor == "zhang"


def test_the_machine_work_runs_once_per_stage(flow: Workflow) -> None:
    _through_consultation(flow)
    before = _kinds(flow)
    assert advance(SAMPLE, at("2007-10-09"), ports=flow.ports) == []
    assert _kinds(flow) == before


@pytest.mark.parametrize(
    ("actor", "error"), [("wang", Forbidden), ("li", Forbidden), ("nobody", UnknownUser)]
)
def test_a_role_or_department_that_may_not_act_is_refused_and_nothing_changes(
    flow: Workflow, actor: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        wf.start_duty(SAMPLE, actor=actor, now=at("2007-09-11"), ports=flow.ports, dispatcher=flow.dispatcher)
    assert _state(flow) is State.NOT_STARTED and _kinds(flow) == []


def test_an_unknown_duty_and_an_illegal_transition_change_nothing(flow: Workflow) -> None:
    with pytest.raises(DutyNotFound):
        wf.start_duty(
            "no-such-duty", actor="zhang", now=at("2007-09-11"), ports=flow.ports, dispatcher=flow.dispatcher
        )
    with pytest.raises(IllegalTransition, match="未启动"):
        wf.submit_for_review(
            SAMPLE, actor="zhang", now=at("2007-09-11"), ports=flow.ports, dispatcher=flow.dispatcher
        )
    with flow.ports.uow() as uow:
        assert uow.duties.get(SAMPLE).events[-1].action == "ingest"


def test_a_second_decision_on_the_same_opinion_is_refused(flow: Workflow) -> None:
    _through_consultation(flow)
    with flow.ports.uow() as uow:
        opinion = uow.duties.get(SAMPLE).opinions[0]
    wf.decide_opinion(
        SAMPLE, opinion.id, Decision.ADOPTED, "", actor="zhang", now=at("2007-10-09"), ports=flow.ports
    )
    with pytest.raises(IllegalTransition, match="已作出处理"):
        wf.decide_opinion(
            SAMPLE,
            opinion.id,
            Decision.NOT_ADOPTED,
            "改主意",
            actor="zhang",
            now=at("2007-10-10"),
            ports=flow.ports,
        )
    with flow.ports.uow() as uow:
        assert uow.duties.get(SAMPLE).opinions[0].ruling.decision is Decision.ADOPTED  # type: ignore[union-attr]


def test_a_stale_version_gets_a_conflict_and_writes_nothing(flow: Workflow) -> None:
    with flow.ports.uow() as first:
        mine = first.duties.get(SAMPLE)
    with flow.ports.uow() as second:
        theirs = second.duties.get(SAMPLE)
        theirs.start("zhang", at("2007-09-11"))
        second.duties.save(theirs)
        second.commit()
    mine.withdraw("office", at("2007-09-12"), "重复")
    with flow.ports.uow() as third, pytest.raises(ConcurrencyConflict):
        third.duties.save(mine)
    assert _state(flow) is State.DRAFTING


def test_silence_counts_as_no_objection_when_the_window_closes(flow: Workflow) -> None:
    p, d = flow.ports, flow.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    assert wf.close_due_consultations(at("2007-10-12", 18), ports=p, dispatcher=d) == []  # the due day itself
    assert wf.close_due_consultations(at("2007-10-13", 9), ports=p, dispatcher=d) == [SAMPLE]
    with p.uow() as uow:
        duty = uow.duties.get(SAMPLE)
    assert duty.state is State.REVISING and [r.reply for r in duty.requests] == [ReplyKind.SILENT]
    assert duty.events[-1].actor == "system" and "视为无意见" in duty.events[-1].reason


def test_reingesting_an_edited_catalogue_reconciles_and_never_overwrites(
    flow: Workflow, tmp_path: Path
) -> None:
    p, d = flow.ports, flow.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    catalogue = seed_catalogue(settings_for("sqlite://", tmp_path))
    duties = list(catalogue.duties)
    moved = next(i for i, x in enumerate(duties) if x.id == SAMPLE)
    duties[moved] = dataclasses.replace(
        duties[moved], lead="renshi", title="深圳市服务外包人才培训资金管理办法"
    )
    removed = duties.pop(0)
    added = dataclasses.replace(duties[-1], id="sfb2007-129-13-00-4-gongshang", location="十三-4")
    edited = dataclasses.replace(catalogue, duties=(*duties, added))
    report = ingest_notice(edited, actor="admin", now=at("2007-10-01"), ports=p)
    assert report.reassigned == (SAMPLE,) and report.amended == (SAMPLE,)
    assert report.withdrawn == (removed.id,) and report.added == (added.id,) and report.started == (added.id,)
    assert _state(flow, removed.id) is State.WITHDRAWN and _state(flow, added.id) is State.DRAFTING
    actions = [e.action for e in timeline(SAMPLE, ports=p).events]
    assert actions[-2:] == ["reassign", "amend"]
    again = ingest_notice(edited, actor="admin", now=at("2007-10-02"), ports=p)
    assert (again.added, again.reassigned, again.amended, again.withdrawn) == ((), (), (), ())


def test_status_shows_milestones_risk_and_lateness(flow: Workflow) -> None:
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=flow.ports, dispatcher=flow.dispatcher)
    early = {r.duty_id: r for r in status(at("2007-09-12").date(), ports=flow.ports)}
    assert early[SAMPLE].state is State.DRAFTING and not early[SAMPLE].at_risk and not early[SAMPLE].overdue
    assert early[SAMPLE].next_due == at("2007-11-19").date()
    late = {r.duty_id: r for r in status(at("2007-12-20").date(), ports=flow.ports)}
    assert late[SAMPLE].at_risk and not late[SAMPLE].overdue
    after = {r.duty_id: r for r in status(at("2008-01-02").date(), ports=flow.ports)}
    assert after[SAMPLE].overdue


def test_an_extension_is_recorded_with_its_approver_and_moves_the_milestones(flow: Workflow) -> None:
    wf.extend_deadline(
        SAMPLE, at("2008-03-31").date(), "需补充调研", actor="office", now=at("2007-12-01"), ports=flow.ports
    )
    t = timeline(SAMPLE, ports=flow.ports)
    assert (t.deadline, t.last_working_day) == (at("2008-03-31").date(), at("2008-03-31").date())
    assert t.events[-1].actor == "office" and "需补充调研" in t.events[-1].reason
    with pytest.raises(Forbidden):
        wf.extend_deadline(
            SAMPLE, at("2008-06-30").date(), "再延", actor="zhang", now=at("2007-12-02"), ports=flow.ports
        )


def test_an_uploaded_revision_is_the_next_version_and_feeds_the_review_draft(flow: Workflow) -> None:
    p, d = flow.ports, flow.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    revision = made_by_python_docx(
        "深圳市服务外包人才培训资助资金使用和监管办法",
        "第一章　总则",
        "第一条　为了规范资助资金管理，制定本办法。",
        "第二条　资助资金实行专款专用。",
    )
    wf.upload_draft(
        SAMPLE, revision, "修改稿.docx", actor="zhang", now=at("2007-09-20"), ports=p, dispatcher=d
    )
    versions = p.documents.versions(SAMPLE, DocumentKind.DRAFT)
    assert [(v.version, v.origin.value, v.author) for v in versions] == [
        (1, "generated", "system"),
        (2, "uploaded", "zhang"),
    ]
    other = made_by_python_docx("第一条　别的部门的稿子。")
    with pytest.raises(Forbidden):
        wf.upload_draft(SAMPLE, other, "x.docx", actor="wang", now=at("2007-09-21"), ports=p, dispatcher=d)
    assert len(p.documents.versions(SAMPLE, DocumentKind.DRAFT)) == 2  # refused before anything was stored
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    wf.record_opinion(SAMPLE, (), actor="li", now=at("2007-10-08"), ports=p)
    wf.close_consultation(SAMPLE, actor="zhang", now=at("2007-10-09"), ports=p, dispatcher=d)
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-10"), ports=p, dispatcher=d)
    review = p.documents.read(p.documents.latest(SAMPLE, DocumentKind.REVIEW_DRAFT).id)  # type: ignore[union-attr]
    from engine.domain.drafting.reading import read_draft

    text = read_draft(review, "送审稿.docx")
    assert "第二条　资助资金实行专款专用。" in text.paragraphs and "（送审稿）" in text.paragraphs


def test_copy_of_a_duty_is_not_shared_between_units_of_work(flow: Workflow) -> None:
    with flow.ports.uow() as uow:
        duty = uow.duties.get(SAMPLE)
    snapshot = copy.deepcopy(duty)
    duty.start("zhang", at("2007-09-11"))
    with flow.ports.uow() as uow:
        assert uow.duties.get(SAMPLE).events == snapshot.events  # not saved, so not stored
