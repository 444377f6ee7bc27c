"""Fixtures shared by every layer of tests: the repository's own rules and notices, and ../shared when present."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.adapters.rules import load_calendar, load_registry
from engine.domain.departments import Registry
from engine.domain.workdays import WorkCalendar
from tests.support import databases
from tests.support.paths import ROOT, RULES, SEED, SHARED


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(RULES)


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return load_calendar(RULES)


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text("utf-8")


@pytest.fixture(scope="session")
def seed_expected() -> dict[str, object]:
    return tomllib.loads((ROOT / "tests" / "data" / "seed-expected.toml").read_text("utf-8"))


REQUIRE_SHARED = "BANFA_REQUIRE_SHARED"  # CI sets it: there, a check that needs ../shared must run
NO_SHARED = "../shared is not present"


@pytest.fixture
def shared() -> Path:
    """The shared folder beside the checkout; without it the test is skipped, or fails where it is required."""
    if not SHARED.is_dir():
        if os.environ.get(REQUIRE_SHARED):
            pytest.fail(f"{NO_SHARED} ({SHARED}), and {REQUIRE_SHARED} says the checks that need it must run")
        pytest.skip(NO_SHARED)
    return SHARED


def pytest_report_header() -> list[str]:
    shared = f"../shared: {SHARED}" if SHARED.is_dir() else "../shared: absent; the checks that need it skip"
    return [databases.describe(), shared]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly when the PostgreSQL or ../shared checks did not run, beside the count of skips."""
    reasons = [str(r.longrepr) for r in terminalreporter.stats.get("skipped", [])]
    for what, marker in (("PostgreSQL", databases.NO_SERVER), ("../shared", NO_SHARED)):
        count = sum(marker in reason for reason in reasons)
        if count:
            terminalreporter.write_line(f"NOTE: {count} tests of {what} were skipped: {marker}.", yellow=True)


@pytest.fixture(scope="session", autouse=True)
def _scratch_postgresql_database() -> Iterator[None]:
    """Drop the PostgreSQL database the session made for its tests, if it made one."""
    yield
    databases.drop_scratch_database()


@pytest.fixture(params=databases.KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Name an empty database: a SQLite file, or a fresh PostgreSQL schema (tests.support.databases)."""
    return databases.empty_database_url(request.param, tmp_path)
