"""When a dispatched run was seen to end, so that the reconciler asks Prefect only about runs still in flight
and finds a run left Running by a worker killed after its work was done.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dispatches") as batch:
        batch.add_column(sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_dispatches_ended_at", ["ended_at"])


def downgrade() -> None:
    with op.batch_alter_table("dispatches") as batch:
        batch.drop_index("ix_dispatches_ended_at")
        batch.drop_column("ended_at")
