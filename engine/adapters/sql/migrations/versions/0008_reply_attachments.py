"""A reply's own attachments: the files of the reply as a whole (a sealed 无意见 letter), beside those each
opinion carries.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultation_requests") as batch:
        batch.add_column(sa.Column("attachments", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("consultation_requests") as batch:
        batch.drop_column("attachments")
