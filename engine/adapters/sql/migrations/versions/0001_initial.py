"""Create the tables of the drafting workflow.

Departments, users, notices and their duties; a duty's events, consultation requests, opinions and the
decisions on them, reviews and extensions; and the versions of documents. Timestamps are timestamptz on
PostgreSQL and naive UTC on SQLite (engine.adapters.sql.schema.AwareDateTime converts). A document has no
foreign key to its duty: documents may be rendered before the duty row exists.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 11:30:14.355690
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create every table, parents before children."""
    op.create_table(
        "departments",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("display", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_departments")),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
    )
    op.create_table(
        "documents",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("duty_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("variant", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=40), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "duty_id", "kind", "variant", "version", name=op.f("uq_documents_duty_id_kind_variant_version")
        ),
        sa.UniqueConstraint("id", name=op.f("uq_documents_id")),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("written_on", sa.Date(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("coordinator", sa.String(length=40), nullable=True),
        sa.Column("coordinator_office", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(length=40), nullable=True),
        sa.Column("catalogue", sa.JSON(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coordinator"], ["departments.key"], name=op.f("fk_notices_coordinator_departments")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer"], ["departments.key"], name=op.f("fk_notices_reviewer_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("email", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department"], ["departments.key"], name=op.f("fk_users_department_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "duties",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("notice_id", sa.String(length=60), nullable=False),
        sa.Column("location", sa.String(length=40), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=True),
        sa.Column("track", sa.String(length=10), nullable=False),
        sa.Column("lead", sa.String(length=40), nullable=False),
        sa.Column("co_departments", sa.JSON(), nullable=False),
        sa.Column("consultees", sa.JSON(), nullable=False),
        sa.Column("officer", sa.Text(), server_default="", nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("last_working_day", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("stage_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("machine_done", sa.Integer(), server_default="-1", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("publication_number", sa.String(length=60), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead"], ["departments.key"], name=op.f("fk_duties_lead_departments")),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_duties_notice_id_notices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duties")),
    )
    op.create_index(op.f("ix_duties_state"), "duties", ["state"], unique=False)
    op.create_table(
        "consultation_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("duty_id", sa.String(length=80), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("consultee", sa.String(length=40), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("reply", sa.String(length=10), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultee"], ["departments.key"], name=op.f("fk_consultation_requests_consultee_departments")
        ),
        sa.ForeignKeyConstraint(
            ["duty_id"], ["duties.id"], name=op.f("fk_consultation_requests_duty_id_duties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_requests")),
        sa.UniqueConstraint(
            "duty_id", "round", "consultee", name=op.f("uq_consultation_requests_duty_id_round_consultee")
        ),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("duty_id", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["duty_id"], ["duties.id"], name=op.f("fk_events_duty_id_duties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("duty_id", "seq", name=op.f("uq_events_duty_id_seq")),
    )
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("duty_id", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("old_deadline", sa.Date(), nullable=False),
        sa.Column("new_deadline", sa.Date(), nullable=False),
        sa.Column("approver", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["duty_id"], ["duties.id"], name=op.f("fk_extensions_duty_id_duties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extensions")),
        sa.UniqueConstraint("duty_id", "seq", name=op.f("uq_extensions_duty_id_seq")),
    )
    op.create_table(
        "opinions",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("duty_id", sa.String(length=80), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("consultee", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("clause", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultee"], ["departments.key"], name=op.f("fk_opinions_consultee_departments")
        ),
        sa.ForeignKeyConstraint(["duty_id"], ["duties.id"], name=op.f("fk_opinions_duty_id_duties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinions")),
        sa.UniqueConstraint(
            "duty_id", "round", "consultee", "seq", name=op.f("uq_opinions_duty_id_round_consultee_seq")
        ),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("duty_id", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=40), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["duty_id"], ["duties.id"], name=op.f("fk_reviews_duty_id_duties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("duty_id", "seq", name=op.f("uq_reviews_duty_id_seq")),
    )
    op.create_table(
        "decisions",
        sa.Column("opinion_id", sa.String(length=120), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=40), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["opinion_id"], ["opinions.id"], name=op.f("fk_decisions_opinion_id_opinions")
        ),
        sa.PrimaryKeyConstraint("opinion_id", name=op.f("pk_decisions")),
    )


def downgrade() -> None:
    """Drop every table, children before parents."""
    op.drop_table("decisions")
    op.drop_table("reviews")
    op.drop_table("opinions")
    op.drop_table("extensions")
    op.drop_table("events")
    op.drop_table("consultation_requests")
    op.drop_index(op.f("ix_duties_state"), table_name="duties")
    op.drop_table("duties")
    op.drop_table("users")
    op.drop_table("notices")
    op.drop_table("documents")
    op.drop_table("departments")
