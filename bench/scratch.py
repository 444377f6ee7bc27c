"""A scratch PostgreSQL database for a benchmark: created fresh on a server, dropped afterwards."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import sqlalchemy as sa


@contextlib.contextmanager
def scratch_database(server: str, driver: str = "postgresql+psycopg") -> Iterator[str]:
    """Create a database on `server` (any PostgreSQL URL) and yield its URL with `driver`; drop it at the end."""
    url = sa.make_url(server)
    name = f"banfa_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(drivername=driver, database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
