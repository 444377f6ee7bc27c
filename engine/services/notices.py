"""Notices and people: ingesting a reviewed catalogue (a reconciliation, never a silent overwrite) and accounts."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from engine.domain.intake.catalogue import catalogue_data
from engine.domain.intake.specs import Catalogue
from engine.domain.ports import NoticeRecord, Ports
from engine.domain.workflow.access import label, may_ingest
from engine.domain.workflow.model import Duty, State
from engine.errors import NotPermitted
from engine.services.accounts import acting_user
from engine.services.reminders.planning import replan


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did, duty ids in catalogue order."""

    notice_id: str
    added: tuple[str, ...]
    reassigned: tuple[str, ...]
    amended: tuple[str, ...]
    withdrawn: tuple[str, ...]
    started: tuple[str, ...]


def ingest_notice(catalogue: Catalogue, *, actor: str, now: dt.datetime, ports: Ports) -> IngestReport:
    """Bring a reviewed catalogue into the database, reconciling it with what is already there.

    A new duty is added (and started at once when the notice's other duties are already running); a changed
    lead becomes a reassignment; other edits are amendments, each recorded; a duty no longer in the catalogue
    is withdrawn. Running it again with the same catalogue changes nothing.
    """
    report: dict[str, list[str]] = {k: [] for k in ("added", "reassigned", "amended", "withdrawn", "started")}
    with ports.uow() as uow:
        user = acting_user(uow, actor, label("ingest"))
        refused = may_ingest(user, catalogue.coordinator.department)
        if refused:
            raise NotPermitted(user.id, label("ingest"), refused)
        uow.departments.sync(list(ports.registry))
        data = json.loads(json.dumps(catalogue_data(catalogue), default=str, ensure_ascii=False))
        uow.notices.save(NoticeRecord(catalogue.notice, catalogue.coordinator, catalogue.deadline, data, now))
        existing = {d.id: d for d in uow.duties.list(catalogue.notice.id)}
        running = any(d.state is not State.NOT_STARTED for d in existing.values())
        for spec in catalogue.ingestible:  # a generic duty waits for a person to name its lead
            duty = existing.get(spec.id)
            if duty is None:
                duty = Duty.from_spec(spec, catalogue.notice.id)
                duty.ingested(user.id, now)
                report["added"].append(spec.id)
                if running:
                    duty.start(user.id, now)
                    report["started"].append(spec.id)
                uow.duties.add(duty)
                replan(uow, duty, now, ports=ports)
                continue
            if duty.state.terminal:
                continue
            if spec.lead and spec.lead != duty.spec.lead:
                duty.reassign(spec.lead, spec.officer, user.id, now, "任务清单变更牵头部门")
                report["reassigned"].append(spec.id)
            if duty.amend(spec, user.id, now, ports.calendar):
                report["amended"].append(spec.id)
            uow.duties.save(duty)
            replan(uow, duty, now, ports=ports)
        kept = {d.id for d in catalogue.ingestible}
        for duty in existing.values():
            if duty.id not in kept and not duty.state.terminal:
                duty.withdraw(user.id, now, "任务清单中已删除该任务")
                uow.duties.save(duty)
                replan(uow, duty, now, ports=ports)
                report["withdrawn"].append(duty.id)
        uow.commit()
    return IngestReport(catalogue.notice.id, *(tuple(report[k]) for k in report))
