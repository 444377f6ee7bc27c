"""Run the clock: APScheduler 3.11 starts Banfa's periodic work, and Banfa's tables say what is due.

The jobs live in a memory job store, rebuilt at every start from Banfa's own tables (a job store must never be
shared between schedulers): a tick every `scheduler_tick_seconds` and at 09:00 (due reminders, the weekly
digest, consultation windows that ended), the reconciler, the daily backup at 02:30, and a one-off job at the
next day a planned reminder is due. Only the active scheduler runs them; a second one started by mistake
finds the first (a PostgreSQL advisory lock, or a lease row on SQLite) and waits as a standby until it goes
away.

This is an entrypoint: it reads the clock, and passes `now` to everything it calls.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.adapters.sql.scheduler_lock import SchedulerLock
from engine.bootstrap import Workflow, mailing_for, take_backup
from engine.config import Settings
from engine.domain.workflow.model import SHANGHAI, local_date
from engine.errors import EngineError
from engine.services import workflow as wf
from engine.services.reminders.sending import Mailing, TickReport, send_due, send_moment

Clock = Callable[[], dt.datetime]
BACKUP_AT = dt.time(2, 30)  # Asia/Shanghai: the daily backup, long after the 09:00 reminders


def wall_clock() -> dt.datetime:
    return dt.datetime.now(SHANGHAI)


@dataclass
class Jobs:
    """What the active scheduler does; each job asks the clock once and passes `now` on."""

    workflow: Workflow
    mailing: Mailing
    clock: Clock
    say: Callable[[str], None]
    settings: Settings | None = None  # for the daily backup

    def tick(self) -> TickReport:
        now = self.clock()
        closed = wf.close_due_consultations(
            now, ports=self.workflow.ports, dispatcher=self.workflow.dispatcher
        )
        report = send_due(now, ports=self.workflow.ports, mailing=self.mailing)
        if closed or report.sent or report.deferred or report.uncertain or report.folded or report.failed:
            self.say(
                f"{now:%Y-%m-%d %H:%M} 结束征求意见 {len(closed)} 项；发出邮件 {report.sent} 封（提醒 {report.reminders} 条），"
                f"推迟 {report.deferred}，结果不明 {report.uncertain}，并入汇总 {report.folded}，失败 {report.failed}"
                + (f"；{report.error}" if report.error else "")
            )
        return report

    def reconcile(self) -> list[str]:
        again = self.workflow.dispatcher.reconcile(self.clock())
        if again:
            self.say(f"重新提交后台处理：{'、'.join(again)}")
        return again

    def backup(self) -> Path | None:
        """Take the daily backup into the backup folder and keep the newest `backup_keep` of them."""
        if self.settings is None or self.settings.backup_keep <= 0:
            return None
        now, folder = self.clock(), self.settings.backups
        target = folder / f"banfa-{now.astimezone(SHANGHAI):%Y%m%d-%H%M%S}.tar.gz"
        try:
            taken = take_backup(self.settings, target, now=now)
        except (EngineError, OSError) as exc:
            self.say(f"{now:%Y-%m-%d %H:%M} 每日备份失败：{exc}")
            return None
        for old in sorted(folder.glob("banfa-*.tar.gz"))[: -self.settings.backup_keep]:
            old.unlink(missing_ok=True)
        self.say(f"{now:%Y-%m-%d %H:%M} 已备份到 {taken.path}（保留最近 {self.settings.backup_keep} 份）")
        return taken.path

    def next_reminder(self) -> dt.datetime | None:
        """When the next planned reminder is due, from the reminders table."""
        with self.workflow.ports.uow() as uow:
            day = uow.reminders.next_day(local_date(self.clock()))
        return send_moment(day, self.workflow.ports) if day else None


def build(jobs: Jobs, settings: Settings) -> BackgroundScheduler:
    """A scheduler with the jobs rebuilt from Banfa's tables; the tick and the reconciler also run at once."""
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(1)},  # one job at a time: they share the database
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=SHANGHAI,
    )
    now = jobs.clock()
    send_at = jobs.workflow.ports.reminders.send_at
    scheduler.add_job(
        jobs.tick, IntervalTrigger(seconds=settings.scheduler_tick_seconds), id="tick", next_run_time=now
    )
    scheduler.add_job(jobs.tick, CronTrigger(hour=send_at.hour, minute=send_at.minute), id="morning")
    scheduler.add_job(
        jobs.reconcile,
        IntervalTrigger(seconds=settings.scheduler_reconcile_seconds),
        id="reconcile",
        next_run_time=now,
    )
    if settings.backup_keep > 0:
        scheduler.add_job(jobs.backup, CronTrigger(hour=BACKUP_AT.hour, minute=BACKUP_AT.minute), id="backup")
    upcoming = jobs.next_reminder()
    if upcoming is not None:
        scheduler.add_job(jobs.tick, DateTrigger(upcoming), id="next-reminder")
    return scheduler


def run(
    workflow: Workflow,
    settings: Settings,
    stop: threading.Event,
    *,
    say: Callable[[str], None],
    clock: Clock = wall_clock,
    renew_seconds: float = 5.0,
) -> None:
    """Be the active scheduler, or a standby until the active one goes away, until `stop` is set."""
    holder = f"{socket.gethostname()}:{os.getpid()}"
    lock = SchedulerLock(workflow.db_engine, holder, dt.timedelta(seconds=renew_seconds * 4))
    jobs = Jobs(workflow, mailing_for(settings), clock, say, settings)
    waiting = False
    while not stop.is_set():
        if not lock.acquire(clock()):
            if not waiting:
                say("另一个调度器正在运行：本调度器作为备用等待。")
                waiting = True
            stop.wait(renew_seconds)
            continue
        say(f"调度器已启动（{holder}）。")
        waiting = False
        scheduler = build(jobs, settings)
        scheduler.start()
        try:
            while not stop.wait(renew_seconds):
                if not lock.renew(clock()):
                    say("调度权已被另一调度器接管：转为备用。")
                    break
        finally:
            scheduler.shutdown(wait=True)
    lock.release()
    say("调度器已停止。")
