"""Dispatch a duty's machine work to a Prefect deployment, and find runs that were lost on the way.

Every dispatch is a row (`dispatches`) before it is a flow run: the key is
`{duty}:{stage}:{stage_version}:{attempt}` and is the idempotency key of the run, so asking twice gives the
same run. A run that crashed, failed or was cancelled keeps its key, so the reconciler asks again with the next
attempt; a run a worker took and then stopped reporting on (the worker was killed) is marked Crashed once it
has been silent longer than `stall_after`, then dispatched again. Every attempt works with the moment of the
first one, so a rerun makes the same documents. Runs still Scheduled are left alone: they wait for a worker.

Prefect is imported here and only here among the modules the CLI loads, and only when the Prefect dispatcher
is chosen (engine.bootstrap); `banfa status` and `banfa show` never pay for it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import ssl
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

import certifi
import httpx
import prefect.context
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound, PrefectException
from prefect.settings import (
    PREFECT_API_AUTH_STRING,
    PREFECT_API_SSL_CERT_FILE,
    PREFECT_API_TLS_INSECURE_SKIP_VERIFY,
    PREFECT_API_URL,
    PREFECT_CLIENT_MAX_RETRIES,
    Settings,
)
from prefect.states import Crashed

from engine.domain.ports import Dispatch, UnitOfWork
from engine.domain.workflow.machine import Work, resume_at, work_for
from engine.domain.workflow.model import Duty

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

log = logging.getLogger("banfa.dispatch")

DEPLOYMENT = "advance-duty/banfa"
LOST = frozenset({StateType.CRASHED, StateType.FAILED, StateType.CANCELLED})
TAKEN = frozenset({StateType.PENDING, StateType.RUNNING})  # a worker has it; silence means the worker died


MAX_ATTEMPTS = 100


def _token() -> str:
    return uuid4().hex


def _next(dispatch: Dispatch, now: dt.datetime) -> Dispatch:
    """The next attempt at the same work, as of the same moment, under a new token."""
    return replace(
        dispatch, attempt=dispatch.attempt + 1, dispatched_at=now, flow_run_id=None, token=_token()
    )


@dataclass(frozen=True)
class RunStatus:
    state: StateType
    since: dt.datetime


def verdict(status: RunStatus | None, work_pending: bool, now: dt.datetime, stall_after: dt.timedelta) -> str:
    """What to do about a dispatched run: "wait", "resend" (same key) or "retry" (next attempt).

    `status` None means the run was never created (Prefect was unreachable when the duty was dispatched).
    """
    if status is None:
        return "resend"
    if status.state in LOST:
        return "retry"
    if status.state is StateType.COMPLETED:
        return "retry" if work_pending else "wait"
    if status.state in TAKEN and now - status.since > stall_after:
        return "retry"
    return "wait"


class PrefectDispatcher:
    """Advance duties through the `advance-duty` deployment: never waits for the run."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        *,
        api_url: str | None = None,
        auth_string: str | None = None,
        deployment: str = DEPLOYMENT,
        stall_after: dt.timedelta = dt.timedelta(minutes=5),
    ) -> None:
        self.uow = uow
        self.api_url = api_url
        self.auth_string = auth_string
        self._prefect_settings: Settings | None = None
        self._tls: ssl.SSLContext | None = None
        self._deployment_id: UUID | None = None
        self.deployment = deployment
        self.stall_after = stall_after

    def advance(self, duty_id: str, now: dt.datetime) -> None:
        with self.uow() as uow:
            duty = uow.duties.get(duty_id)
        work = work_for(duty, now)
        if work is not None:
            self._ensure(duty, work, now)

    def reconcile(self, now: dt.datetime) -> list[str]:
        """Dispatch again every duty whose machine work is pending and whose run is lost; return their ids.

        Then sweep the runs still in flight: one seen to end is recorded as ended, and one a worker took and
        then fell silent on is marked Crashed even when its work was done (a worker killed after finish-stage),
        so that the Prefect UI never shows a run Running for work that ended.
        """
        with self.uow() as uow:
            duties = uow.duties.list()
        again = []
        for duty in duties:
            work = work_for(duty, resume_at(duty, now))
            if work is not None and self._ensure(duty, work, now):
                again.append(duty.id)
        self._sweep(now)
        return again

    def _sweep(self, now: dt.datetime) -> None:
        with self.uow() as uow:
            flying = uow.dispatches.in_flight()
        for dispatch in flying:
            assert dispatch.flow_run_id is not None
            try:
                status = self._status(dispatch.flow_run_id)
            except (httpx.HTTPError, PrefectException, OSError) as exc:
                log.warning("未能查询后台运行 %s 的状态（%s），下次对账再查", dispatch.key, exc)
                return
            if status is not None and status.state in TAKEN:
                if now - status.since <= self.stall_after:
                    continue  # still working
                self._crash(dispatch.flow_run_id)
            elif status is not None and status.state not in LOST and status.state is not StateType.COMPLETED:
                continue  # Scheduled or paused: it waits for a worker
            # ended, crashed just now, or unknown to this server (its database was reset): no longer in flight
            with self.uow() as uow:
                uow.dispatches.end(dispatch.key, now)
                uow.commit()

    def _ensure(self, duty: Duty, work: Work, now: dt.datetime) -> bool:
        """Make sure one live run does `work`; return True when a run was asked for.

        Prefect is asked about the prior run outside any transaction, so that no database lock is held over
        a network call. Two reconcilers racing for the same next attempt meet the key's unique constraint: the
        one that loses leaves the work to the other.
        """
        with self.uow() as uow:
            prior = uow.dispatches.latest(duty.id, work.stage_version, work.stage)
        if prior is None:
            dispatch = Dispatch(
                duty.id, work.stage, work.stage_version, 0, work.acting_at, now, token=_token()
            )
        else:
            status = self._status(prior.flow_run_id) if prior.flow_run_id else None
            with self.uow() as uow:
                pending = work_for(uow.duties.get(duty.id), work.acting_at, work.stage_version) is not None
            action = verdict(status, pending, now, self.stall_after)
            if action == "wait":
                return False
            if action == "resend":
                self._send(prior, duty)
                return True
            if status is not None and status.state in TAKEN and prior.flow_run_id:
                self._crash(prior.flow_run_id)
            dispatch = _next(prior, now)
        if not self._record(dispatch):
            return False
        self._send(dispatch, duty)
        return True

    def _record(self, dispatch: Dispatch) -> bool:
        """Record the dispatch; False when another dispatcher recorded the same attempt first."""
        with self.uow() as uow:
            added = uow.dispatches.add(dispatch)
            uow.commit()
        if not added:
            log.info("任务 %s 的第 %d 次提交已由其他进程完成", dispatch.duty_id, dispatch.attempt)
        return added

    def _send(self, dispatch: Dispatch, duty: Duty) -> None:
        """Ask for the run; when Prefect is unreachable, leave the row for the reconciler and say so.

        The run is tagged with the duty, its notice and its lead department, so that an officer finds a duty's
        runs in the Prefect UI by filter. A run that comes back without this dispatch's token was left under
        the same key by a former database (one reset while the Prefect server kept its runs): the next attempt
        is asked for instead.
        """
        labels = ["banfa", f"duty:{duty.id}", f"notice:{duty.notice_id}", f"lead:{duty.spec.lead or '-'}"]
        for _ in range(MAX_ATTEMPTS):
            parameters = {
                "duty_id": dispatch.duty_id,
                "now": dispatch.acting_at.isoformat(),
                "stage_version": dispatch.stage_version,
            }
            tag = f"dispatch:{dispatch.token}"
            try:
                run = self._create(
                    parameters, dispatch.key, [*labels, tag], f"{duty.id}@{dispatch.stage_version}"
                )
            except (httpx.HTTPError, PrefectException, OSError) as exc:
                log.warning("未能提交任务 %s 的后台运行（%s），稍后由对账程序重新提交", dispatch.key, exc)
                return
            if tag in run.tags:
                with self.uow() as uow:
                    uow.dispatches.set_run(dispatch.key, str(run.id))
                    uow.commit()
                return
            dispatch = _next(dispatch, dispatch.dispatched_at)
            if not self._record(dispatch):
                return
        log.warning("任务 %s 的后台运行键已被占用 %d 次，放弃提交", dispatch.duty_id, MAX_ATTEMPTS)

    def _create(self, parameters: dict[str, object], key: str, tags: list[str], name: str) -> FlowRun:
        """Create the run from the deployment, as `run_deployment(timeout=0, as_subflow=False)` does, with the
        deployment's id kept: a dispatch is then one API call instead of two. A deployment that is gone (applied
        again under a new id) is looked up once more. The run is named here (`duty@stage version`), not by the
        flow, which would cost the run two more API calls."""
        with self._client() as client:
            for fresh in (False, True):
                if self._deployment_id is None or fresh:
                    self._deployment_id = client.read_deployment_by_name(self.deployment).id
                try:
                    return client.create_flow_run_from_deployment(
                        self._deployment_id, parameters=parameters, idempotency_key=key, tags=tags, name=name
                    )
                except ObjectNotFound:
                    if fresh:
                        raise
        raise AssertionError("unreachable")

    def _settings(self) -> AbstractContextManager[object]:
        """Talk to the configured server, whatever PREFECT_API_URL the process started with.

        The settings are built once: building them costs about 0.17 s, more than the call they serve.
        """
        if self.api_url is None:
            return contextlib.nullcontext()
        context = prefect.context.get_settings_context()
        if self._prefect_settings is None:
            # Banfa's local server asks for a retry after 50 ms when SQLite is locked
            # (engine.entrypoints.prefect.server): allow enough of them before a dispatch is left to the
            # reconciler.
            updates: dict[object, object] = {PREFECT_API_URL: self.api_url, PREFECT_CLIENT_MAX_RETRIES: 40}
            if self.auth_string is not None:
                updates[PREFECT_API_AUTH_STRING] = self.auth_string
            if self.api_url.startswith(
                "http://"
            ):  # no TLS to verify: each client skips loading the CA bundle
                updates[PREFECT_API_TLS_INSECURE_SKIP_VERIFY] = True
            self._prefect_settings = context.settings.copy_with_update(updates=updates)  # type: ignore[arg-type]
        return prefect.context.SettingsContext(profile=context.profile, settings=self._prefect_settings)

    @contextlib.contextmanager
    def _client(self) -> Iterator[SyncPrefectClient]:
        # the context is built inside the settings (which say whether to verify), as each `with` item is
        # evaluated after the one before it has been entered
        with (
            self._settings(),
            get_client(sync_client=True, httpx_settings={"verify": self._tls_context()}) as client,
        ):
            yield client

    def _tls_context(self) -> ssl.SSLContext:
        """The TLS context every client of this dispatcher shares, built as Prefect's client builds one: Prefect
        builds it anew for each client, and loading the certificates cost each dispatch about 20 ms of CPU."""
        if self._tls is None:
            if PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value():
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            else:
                context = ssl.create_default_context(
                    cafile=PREFECT_API_SSL_CERT_FILE.value() or certifi.where()
                )
            self._tls = context
        return self._tls

    def _status(self, flow_run_id: str) -> RunStatus | None:
        with self._client() as client:
            try:
                run = client.read_flow_run(UUID(flow_run_id))
            except ObjectNotFound:
                return None
        if run.state is None:
            return None
        return RunStatus(run.state.type, run.state.timestamp)

    def _crash(self, flow_run_id: str) -> None:
        """Mark a silent run Crashed, so that the Prefect UI tells the truth and it is never picked up again."""
        with self._client() as client:
            client.set_flow_run_state(
                UUID(flow_run_id),
                Crashed(message="Banfa's reconciler found the run silent; it runs again as a new attempt."),
                force=True,
            )
