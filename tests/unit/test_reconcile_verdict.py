"""What the reconciler does about a dispatched run, by its state and age."""

from __future__ import annotations

import datetime as dt

import pytest
from prefect.client.schemas.objects import StateType

from engine.adapters.prefect.dispatcher import RunStatus, verdict

NOW = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
STALL = dt.timedelta(minutes=5)


def _status(state: StateType, minutes_ago: float) -> RunStatus:
    return RunStatus(state, NOW - dt.timedelta(minutes=minutes_ago))


@pytest.mark.parametrize(
    ("status", "pending", "expected"),
    [
        (None, True, "resend"),  # Prefect never created the run
        (_status(StateType.CRASHED, 1), True, "retry"),
        (_status(StateType.FAILED, 1), True, "retry"),
        (_status(StateType.CANCELLED, 1), True, "retry"),
        (_status(StateType.COMPLETED, 1), True, "retry"),  # it ended without doing the work
        (_status(StateType.COMPLETED, 1), False, "wait"),
        (_status(StateType.RUNNING, 1), True, "wait"),
        (_status(StateType.RUNNING, 6), True, "retry"),  # taken and silent: the worker died
        (_status(StateType.PENDING, 6), True, "retry"),
        (_status(StateType.SCHEDULED, 60), True, "wait"),  # waits for a worker; a retry would only queue more
    ],
)
def test_verdict(status: RunStatus | None, pending: bool, expected: str) -> None:
    assert verdict(status, pending, NOW, STALL) == expected
