"""Fixtures of the CLI tests: a data directory with the seed ingested and its people, made once per session
through the CLI and copied for each test (each `banfa` run is a fresh interpreter, about a second)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.test_cli import banfa

PEOPLE = (
    ("admin", "maogong", "admin"),
    ("zhang", "caizheng", "officer"),
    ("li", "maogong", "consultee"),
    ("wang", "gongan", "officer"),
    ("fa", "fazhiban", "reviewer"),
    ("office", "maogong", "coordinator"),
)


@pytest.fixture(scope="session")
def seeded_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed ingested by the admin on 2007-09-11 09:00, with an account for each of PEOPLE."""
    folder = tmp_path_factory.mktemp("seeded") / "var"
    for user_id, department, role in PEOPLE:
        added = banfa(
            "--data-dir",
            folder,
            "user",
            "add",
            user_id,
            "--name",
            user_id,
            "--dept",
            department,
            "--role",
            role,
        )
        assert added.returncode == 0, added.stderr
    ingested = banfa("--data-dir", folder, "ingest", "--as", "admin", "--now", "2007-09-11T09:00")
    assert ingested.returncode == 0, ingested.stderr
    return folder


@pytest.fixture
def data(tmp_path: Path, seeded_var: Path) -> Path:
    """A data directory of this test's own, copied from `seeded_var`."""
    folder = tmp_path / "var"
    shutil.copytree(seeded_var, folder)
    return folder


@pytest.fixture(scope="session")
def portal_var(seeded_var: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`seeded_var` where everyone but admin has the portal tests' password."""
    from tests.support.portal import with_passwords

    return with_passwords(
        seeded_var, tmp_path_factory.mktemp("portal") / "var", tuple(p[0] for p in PEOPLE if p[0] != "admin")
    )
