"""Plan reminders as rows, and let one scheduler at a time hold the lease to send them.

`reminders` holds one row for each mail-to-be, keyed by duty, kind, milestone and offset, with its status
(pending, sending, sent, uncertain, cancelled, folded, failed); `scheduler_leases` holds the lease the running
scheduler renews, so that a second one started on SQLite waits as a standby.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("key", sa.String(length=240), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("notice_id", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("about", sa.String(length=80), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("send_on", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(length=60), nullable=False),
        sa.Column("cc", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim", sa.String(length=40), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("addresses", sa.Text(), server_default="", nullable=False),
        sa.Column("reported_in", sa.String(length=240), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_reminders")),
    )
    pending = sa.text("status = 'pending'")
    op.create_index(
        "ix_reminders_pending_send_on",
        "reminders",
        ["send_on"],
        sqlite_where=pending,
        postgresql_where=pending,
    )
    op.create_index("ix_reminders_notice_id", "reminders", ["notice_id"])
    op.create_index(op.f("ix_reminders_subject"), "reminders", ["subject"])
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_leases")
    op.drop_index(op.f("ix_reminders_subject"), table_name="reminders")
    op.drop_index("ix_reminders_notice_id", table_name="reminders")
    op.drop_index("ix_reminders_pending_send_on", table_name="reminders")
    op.drop_table("reminders")
