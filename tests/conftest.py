"""Fixtures shared by every layer of tests: the repository's own rules and notices, and ../shared when present."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from engine.catalogue import load_calendar, load_registry
from engine.departments import Registry
from engine.workdays import WorkCalendar
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
