"""The person's steps that open each stage with machine work, on SAMPLE: the flow tests drive a duty to a
stage with them, in-process up to the last one and through the dispatcher under test for the last."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.ports import Dispatcher, Ports
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.machine import MACHINE_WORK
from engine.domain.workflow.model import State
from engine.services import workflow as wf
from tests.support.workflows import SAMPLE, at

Action = Callable[[Ports, Dispatcher], dt.datetime]  # does one person's step; returns its moment


def _start(p: Ports, d: Dispatcher) -> dt.datetime:
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    return at("2007-09-11")


def _consult(p: Ports, d: Dispatcher) -> dt.datetime:
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    return at("2007-09-28")


def _close(p: Ports, d: Dispatcher) -> dt.datetime:
    wf.record_opinion(
        SAMPLE, (OpinionInput("第四条", "建议明确资助标准"),), actor="li", now=at("2007-10-08"), ports=p
    )
    wf.close_consultation(SAMPLE, actor="zhang", now=at("2007-10-09"), ports=p, dispatcher=d)
    return at("2007-10-09")


def _submit(p: Ports, d: Dispatcher) -> dt.datetime:
    with p.uow() as uow:
        opinion = uow.duties.get(SAMPLE).opinions[0]
    wf.decide_opinion(
        SAMPLE, opinion.id, Decision.ADOPTED, "已补充", actor="zhang", now=at("2007-10-10"), ports=p
    )
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-11"), ports=p, dispatcher=d)
    return at("2007-10-11")


def _lawful(p: Ports, d: Dispatcher) -> dt.datetime:
    wf.record_review(SAMPLE, Legality.LAWFUL, "", actor="fa", now=at("2007-10-18"), ports=p, dispatcher=d)
    return at("2007-10-18")


def _to_amend(p: Ports, d: Dispatcher) -> dt.datetime:
    wf.record_review(
        SAMPLE, Legality.TO_AMEND, "第四条须修改", actor="fa", now=at("2007-10-18"), ports=p, dispatcher=d
    )
    return at("2007-10-18")


def _publish(p: Ports, d: Dispatcher) -> dt.datetime:
    wf.deliberate(SAMPLE, True, "", actor="office", now=at("2007-10-22"), ports=p, dispatcher=d)
    published, effective = at("2007-10-23").date(), at("2008-01-01").date()
    wf.publish(
        SAMPLE,
        "深财〔2007〕35号",
        published,
        effective,
        actor="zhang",
        now=at("2007-10-23"),
        ports=p,
        dispatcher=d,
    )
    return at("2007-10-23")


# Each stage with machine work: the actions before it (done with their machine work), and the one that opens it.
STAGES: dict[State, list[Action]] = {
    State.DRAFTING: [_start],
    State.CONSULTING: [_start, _consult],
    State.REVISING: [_start, _consult, _close],
    State.REVIEWING: [_start, _consult, _close, _submit],
    State.DELIBERATING: [_start, _consult, _close, _submit, _lawful],
    State.RETURNED: [_start, _consult, _close, _submit, _to_amend],
    State.PUBLISHED: [_start, _consult, _close, _submit, _lawful, _publish],
}


def boundaries(stage: State) -> list[str]:
    """The drafting flow's step boundaries in a stage before its last (flows.drafting: `start`, then one per
    kind of document the stage makes); `finish-stage` follows them."""
    return ["start", *(f"make-{k.value}" for k in MACHINE_WORK[stage])]
