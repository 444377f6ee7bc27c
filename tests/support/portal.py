"""Helpers of the portal tests: a clock the test moves, a logged-in client, and reading a page's form fields."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from engine.bootstrap import open_workflow, password_hasher
from engine.config import Settings
from engine.entrypoints.web.app import create_app
from engine.services.accounts import set_password

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "banfa2007pw"


class Clock:
    """The portal's clock: a moment the test sets and moves."""

    def __init__(self, start: str) -> None:
        self.now = dt.datetime.fromisoformat(start).replace(tzinfo=SHANGHAI)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def with_passwords(seeded: Path, folder: Path, people: tuple[str, ...]) -> Path:
    """A copy of a seeded data directory where every one of `people` has PASSWORD."""
    shutil.copytree(seeded, folder)
    workflow = open_workflow(Settings(data_dir=folder).resolved())
    hasher = password_hasher()
    moment = dt.datetime(2007, 9, 11, 9, 30, tzinfo=SHANGHAI)
    for person in people:
        set_password(person, PASSWORD, now=moment, ports=workflow.ports, hasher=hasher)
    workflow.db_engine.dispose()
    return folder


def client(data_dir: Path, clock: Clock, portal_url: str = "http://127.0.0.1:8000") -> TestClient:
    settings = Settings(data_dir=data_dir, portal_url=portal_url)
    return TestClient(create_app(settings, clock=clock), follow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def version_of(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "the page has no action form"
    return found.group(1)


def error_of(html: str) -> str:
    found = re.search(r'class="error" role="alert">([^<]+)<', html)
    return found.group(1) if found else ""


def log_in(c: TestClient, user: str, password: str = PASSWORD, prefix: str = "") -> None:
    page = c.get(f"{prefix}/login")
    done = c.post(
        f"{prefix}/login", data={"username": user, "password": password, "csrf": csrf_of(page.text)}
    )
    assert done.status_code == 303, error_of(done.text)
