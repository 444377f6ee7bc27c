"""Banfa's Prefect worker: it runs each flow run inside its own process, on its own event loop.

A stock process worker starts a new Python for every flow run. For Banfa's runs, which do a fraction of a
second of work each, that process was most of the cost: 0.66 CPU-seconds per run even when forked from a warm
process (imports, Prefect's client and settings, 18,000 pages copied), and 2 workers on 2 cores managed 1.3
transitions per second (bench/scale.py). This worker is a Prefect worker like any other (it polls the `banfa`
work pool, shows in the UI with its heartbeat, claims each run by moving it to Pending), but it runs the run
with Prefect's own flow engine in this process, on its event loop. The flow keeps the event loop free by doing
its blocking steps (SQL, Word files) in a thread of this process's pool, `limit` of them.

What a process per run gave and this does not: a run that crashes the interpreter takes the worker and its
other runs with it. Banfa's reconciler already handles that case for a killed worker: a run that fell silent is
marked Crashed and its duty's work is dispatched again, and the flow's steps are recorded, so nothing is done
twice (engine.adapters.prefect.dispatcher).

Started by `banfa up` (engine.entrypoints.prefect.local) as
`python -m engine.entrypoints.prefect.worker --name NAME --limit N`, with PREFECT_API_URL and the BANFA_*
settings in its environment. SIGINT or SIGTERM stops polling, lets the runs in flight finish (up to
`--drain` seconds), then stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import prefect.flow_engine
from prefect.context import AsyncClientContext, SyncClientContext
from prefect.flow_engine import run_flow
from prefect.workers.base import BaseJobConfiguration, BaseVariables, BaseWorker, BaseWorkerResult

if TYPE_CHECKING:
    import anyio.abc
    from prefect import Flow
    from prefect.client.schemas.objects import FlowRun

from engine.entrypoints.prefect.local import FLOW_ENTRYPOINT, POOL

log = logging.getLogger("banfa.worker")


class BanfaWorkerResult(BaseWorkerResult):
    """What a run ended with: status 0 when it completed."""


class BanfaWorker(BaseWorker[BaseJobConfiguration, BaseVariables, BanfaWorkerResult]):
    type = "banfa"
    job_configuration = BaseJobConfiguration
    job_configuration_variables = BaseVariables
    _description = "运行办法（Banfa）的流程：每次运行在工作进程内执行，不另起进程。"
    _display_name = "Banfa"

    def __init__(self, *args: Any, flow: Flow[..., Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._flow = flow
        self.stopping = False

    def in_flight(self) -> int:
        return int(self._limiter.borrowed_tokens) if self._limiter is not None else 0

    async def get_and_submit_flow_runs(self) -> list[FlowRun]:
        if self.stopping:  # draining: take nothing new
            return []
        return await super().get_and_submit_flow_runs()

    async def _submit_run(self, flow_run: FlowRun) -> None:
        """Claim the run (Pending: of two workers that saw it, one wins), then run it here.

        A stock worker also reads the deployment, resolves a job configuration, labels the run, proposes
        Submitting and records a process id: five API calls per run that say nothing for a run that never
        leaves this process.
        """
        try:
            if await self._propose_pending_state(flow_run):
                await self.run(flow_run, self.job_configuration())
        except Exception:  # the run's own failures are its state; this is Prefect unreachable, and the like
            log.exception(
                "flow run %s could not be run; Banfa's reconciler will dispatch it again", flow_run.id
            )
        finally:
            self._release_limit_slot(flow_run.id)
            self._submitting_flow_run_ids.discard(flow_run.id)
            if self._cancelling_observer is not None:
                self._cancelling_observer.remove_in_flight_flow_run_id(flow_run.id)

    async def run(
        self,
        flow_run: FlowRun,
        configuration: BaseJobConfiguration,
        task_status: anyio.abc.TaskStatus[int] | None = None,
    ) -> BanfaWorkerResult:
        if task_status is not None:
            task_status.started(os.getpid())
        state = await run_flow(self._flow, flow_run=flow_run, return_type="state")  # type: ignore[misc]
        return BanfaWorkerResult(identifier=str(flow_run.id), status_code=0 if state.is_completed() else 1)


@contextlib.contextmanager
def _no_suspension_observer(*_args: object, **_kwargs: object) -> Iterator[None]:
    yield


def run_in_process() -> None:
    """Prefect's flow engine, for runs that share this process.

    For a run of a deployment the engine starts a thread with its own event loop, client and event subscription
    to notice a suspension asked for from outside, and blocks the caller's event loop until that subscription
    is up and again (up to 2 s) until the thread has ended: here the worker's loop, and every run on it. Banfa
    never suspends a run (a person's wait is a row in Banfa's database, not a paused run), so this worker does
    without it. tests/prefect/test_worker.py checks that the engine still has this hook where we replace it.
    """
    prefect.flow_engine.observe_flow_run_suspension = _no_suspension_observer  # type: ignore[attr-defined]


def load_flow(entrypoint: str) -> Flow[..., Any]:
    """The deployment's flow, named as prefect.yaml names it (`module:function`), after its module's `warm()`:
    what every run needs (settings, database, templates) is loaded once, before the first run."""
    module_name, _, name = entrypoint.partition(":")
    module = importlib.import_module(module_name)
    warm: Callable[[], None] | None = getattr(module, "warm", None)
    if warm is not None:
        warm()
    flow: Flow[..., Any] = getattr(module, name)
    return flow


async def serve(worker: BanfaWorker, *, drain: float) -> None:
    """Run the worker until SIGINT or SIGTERM; then take nothing new and give the runs in flight `drain`
    seconds to finish."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = asyncio.create_task(worker.start(printer=lambda text: log.info("%s", text)))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({running, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if running.done():
        running.result()
        return
    worker.stopping = True
    deadline = time.monotonic() + drain
    while worker.in_flight() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m engine.entrypoints.prefect.worker")
    parser.add_argument("--name", required=True, help="the worker's name in the work pool")
    parser.add_argument("--limit", type=int, default=4, help="flow runs at once")
    parser.add_argument("--pool", default=POOL)
    parser.add_argument("--flow", default=FLOW_ENTRYPOINT, help="module:function, as prefect.yaml names it")
    parser.add_argument("--drain", type=float, default=15.0, help="seconds the runs in flight get on a stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    flow = load_flow(args.flow)
    run_in_process()

    async def _main() -> None:
        # the flow's blocking steps run in this pool: one thread per run the worker may hold
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=args.limit, thread_name_prefix="banfa-run")
        )
        # One client of each kind for the worker and all its runs: the engine takes the ones in context, where
        # each run would otherwise build its own (an SSL context each, 20 ms of loading certificates).
        with SyncClientContext.get_or_create():
            async with AsyncClientContext.get_or_create():
                worker = BanfaWorker(work_pool_name=args.pool, name=args.name, limit=args.limit, flow=flow)
                await serve(worker, drain=args.drain)

    asyncio.run(_main())


if __name__ == "__main__":
    main()
