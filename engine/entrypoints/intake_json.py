"""Write the JSON contract of `banfa intake --json`, which other tools read: keep it stable (README)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.domain.departments import Registry
from engine.domain.intake.duties import Intake


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def intake_json(intake: Intake, registry: Registry, *, explain: bool = False) -> dict[str, Any]:
    """Build the stable JSON contract of `banfa intake --json` (README, "The intake JSON contract").

    `registry` is the one the notice was read with; with `explain`, the rejected candidates are added."""
    n = intake.notice

    def full_name(key: str | None) -> str | None:
        return registry.get(key).name if key else None

    return {
        "notice": {
            "id": intake.notice_id,
            "title": n.title,
            "number": n.number,
            "issuer": n.issuer,
            "date": _iso(n.date),
            "published": _iso(n.published),
        },
        "registry": registry.info.id,
        "deadline": _iso(intake.deadline.date) if intake.deadline else None,
        "last_working_day": _iso(intake.deadline.last_working_day) if intake.deadline else None,
        "duties": [
            {
                "id": d.id,
                "ref": d.ref,
                "location": d.location,
                "lead": d.lead_as_written,
                "department": full_name(d.lead),
                "co_departments": [registry.get(k).name for k in d.co_departments],
                "co_departments_as_written": list(d.co_departments_as_written),
                "co_open": d.co_open,
                "text": d.text,
                "document": d.document,
                "title": d.title,
                "kind": d.kind,
                "track": d.track.value,
                "basis": list(d.basis),
                "deadline": _iso(d.deadline),
                "last_working_day": _iso(d.last_working_day),
                "recurring": d.recurring,
                "drafting": d.drafting,
                "generic": d.generic,
                "addressee": d.addressee,
                "evidence": d.evidence,
                "deadline_note": d.deadline_note,
            }
            for d in intake.duties
        ],
    } | (
        {"rejected": [{"location": r.location, "text": r.text, "reason": r.reason} for r in intake.rejected]}
        if explain
        else {}
    )
