"""The reminder policy (`rules/reminders.toml`) as a value: offsets in working days, how sending behaves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import PolicyError


@dataclass(frozen=True)
class ReminderPolicy:
    """The reminder policy (`rules/reminders.toml`): offsets in working days, and how sending behaves."""

    milestone_offsets: tuple[int, ...] = (10, 5, 3, 1)
    reply_offsets: tuple[int, ...] = (2, 0)
    escalate_from: int = 5  # the overdue working day from which the 分管领导 is copied
    overdue_horizon: int = 5  # working days of daily overdue reminders planned ahead of today
    filing_days: int = 30
    filing_offsets: tuple[int, ...] = (10, 5, 3, 1)
    send_at: dt.time = dt.time(9, 0)
    fold_after: int = 2  # a reminder more than this many working days late goes into the digest instead
    retry_seconds: tuple[int, ...] = (60, 300, 900, 3600)
    claim_lease_seconds: int = 600  # a claim older than this, still unconfirmed, is uncertain
    officer_role: str = "officer"
    consultee_role: str = "liaison"
    leader_role: str = "leader"
    digest_role: str = "liaison"

    @classmethod
    def from_data(cls, source: str, data: Mapping[str, Any]) -> ReminderPolicy:
        """Build from a parsed `reminders.toml`; a missing table keeps its defaults."""
        try:
            m, r, o = data.get("milestones", {}), data.get("reply", {}), data.get("overdue", {})
            f, s, c = data.get("filing", {}), data.get("sending", {}), data.get("recipients", {})
            base = cls()
            policy = cls(
                milestone_offsets=_offsets(m.get("before", base.milestone_offsets)),
                reply_offsets=_offsets(r.get("before", base.reply_offsets)),
                escalate_from=int(o.get("escalate_from", base.escalate_from)),
                overdue_horizon=int(o.get("plan_ahead", base.overdue_horizon)),
                filing_days=int(f.get("days", base.filing_days)),
                filing_offsets=_offsets(f.get("before", base.filing_offsets)),
                send_at=dt.time.fromisoformat(str(s.get("at", base.send_at.isoformat("minutes")))),
                fold_after=int(s.get("fold_after", base.fold_after)),
                retry_seconds=tuple(int(x) for x in s.get("retry_seconds", base.retry_seconds)),
                claim_lease_seconds=int(s.get("claim_lease_seconds", base.claim_lease_seconds)),
                officer_role=str(c.get("officer", base.officer_role)),
                consultee_role=str(c.get("consultee", base.consultee_role)),
                leader_role=str(c.get("leader", base.leader_role)),
                digest_role=str(c.get("digest", base.digest_role)),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise PolicyError(source, str(exc)) from exc
        if not policy.retry_seconds or min(policy.retry_seconds) <= 0 or policy.escalate_from < 1:
            raise PolicyError(source, "retry_seconds 须为正数，escalate_from 须不小于 1")
        return policy


def _offsets(value: Any) -> tuple[int, ...]:
    offsets = tuple(sorted({int(x) for x in value}, reverse=True))
    if any(n < 0 for n in offsets):
        raise ValueError(f"提前的工作日数不能为负：{value}")
    return offsets
