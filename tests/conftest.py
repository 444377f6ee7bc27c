"""Fixtures shared by every layer of tests: the repository's own rules and notices, and ../shared when present."""

from __future__ import annotations

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


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture(scope="session", autouse=True)
def _scratch_postgresql_database() -> Iterator[None]:
    """Drop the PostgreSQL database the session made for its tests, if it made one."""
    yield
    databases.drop_scratch_database()


@pytest.fixture(params=databases.KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Name an empty database: a SQLite file, or a fresh PostgreSQL schema when BANFA_TEST_DATABASE_URL is set."""
    return databases.empty_database_url(request.param, tmp_path)
