"""Fixtures of the reminder tests: a real SMTP server on loopback, and a workflow wired to send through it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.bootstrap import Workflow
from engine.config import Settings
from tests.support.mailbox import SmtpServer
from tests.support.workflows import workflow_with_people


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def wired(database_url: str, tmp_path: Path, smtp: SmtpServer) -> Iterator[tuple[Workflow, Settings]]:
    """The seed ingested with its people, mail going to `smtp`."""
    workflow, settings = workflow_with_people(database_url, tmp_path)
    settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    yield workflow, settings
    workflow.db_engine.dispose()
