"""Alembic migrations of Banfa's database. `HEAD` names the newest revision; a test keeps it true."""

HEAD = "0009"
