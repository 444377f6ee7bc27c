"""Run `prefect server start` with one change: a "database is locked" answer says when to come back.

On SQLite, Prefect's server answers 503 when a write meets another (SQLITE_BUSY_SNAPSHOT, which no busy timeout
waits out), and every client then backs off 1, 2, 4… seconds. With a worker, its flow runs and the dispatcher
writing at once, that backoff was most of the time a duty waited between two stages (bench/workflow.py). Here
the 503 carries `Retry-After: 0.05`, which Prefect's client honours, so a client retries after 50 ms instead.
Everything else is Prefect's own server, started in the foreground by its own CLI.

    python -m engine.entrypoints.prefect.server --host 127.0.0.1 --port 4200
"""

from __future__ import annotations

import sys

RETRY_AFTER = "0.05"


def _patch() -> None:
    from prefect.server.api import server

    original = server.custom_internal_exception_handler

    async def retry_soon(request, exc):  # type: ignore[no-untyped-def]
        response = await original(request, exc)
        if response.status_code == 503:
            response.headers["Retry-After"] = RETRY_AFTER
        return response

    server.custom_internal_exception_handler = retry_soon


def main() -> None:
    _patch()
    from prefect.cli import app

    sys.argv = ["prefect", "server", "start", *sys.argv[1:]]
    app()


if __name__ == "__main__":
    main()
