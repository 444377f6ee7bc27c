"""SQL persistence on SQLite or PostgreSQL: connection, schema, migrations, and one module per repository.

Imports engine.domain and SQLAlchemy; services reach it only through the UnitOfWork port.
"""
