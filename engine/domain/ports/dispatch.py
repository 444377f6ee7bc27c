"""How a duty is advanced after a person's action: the machine work of its new stage, once."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Dispatcher(Protocol):
    """In-process (engine.services.machine) or through a Prefect deployment (engine.adapters.prefect)."""

    def advance(self, duty_id: str, now: dt.datetime) -> None:
        """Have the machine work of the duty's current stage done, as of `now`, once; calling again is safe.
        In-process it is done on return, unless a store failed (a full disk, the database gone): then it stays
        pending for `reconcile`, as a failed run does; through Prefect a run is asked for and not waited on.
        Either way the person's action, committed before, stands."""
        ...

    def reconcile(self, now: dt.datetime) -> list[str]:
        """Have done again the machine work that was lost (a crashed, failed or silent run), as of when each
        stage began; return the ids of the duties dispatched again."""
        ...
