"""Adapters: the real things behind the ports of engine.domain.ports, and the files under rules/.

sql/ (SQLAlchemy Core tables, Alembic migrations, the unit of work and its repositories), drafting/ (render,
the only importer of python-docx; the file document store), mail/ (SMTP, outbox, MIME), prefect/ (the
dispatcher), rules (catalogues, registries, calendars), wording (Jinja2 templates). Adapters import
engine.domain, never a service.
"""
