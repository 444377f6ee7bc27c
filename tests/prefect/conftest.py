"""Fixtures of the Prefect tests: a database of its own on the PostgreSQL server for a Prefect server."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.support import databases


@pytest.fixture
def prefect_database() -> Iterator[str]:
    """The URL (postgresql+asyncpg) of a fresh database for a Prefect server, dropped afterwards."""
    server = databases.configured_url()
    if server is None:
        pytest.skip(databases.NO_SERVER)
    url = sa.make_url(server).set(drivername="postgresql+psycopg")
    name = f"banfa_prefect_{secrets.token_hex(4)}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield url.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()
