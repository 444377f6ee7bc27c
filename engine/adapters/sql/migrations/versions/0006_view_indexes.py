"""Indexes for the lists: a notice's duties, a department's duties, and the requests sent to a department.

The notice board reads a notice's duties, the task list the duties a department leads and the open requests it
has to answer; without these each was a scan of every duty or every request.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_duties_notice_id", "duties", ["notice_id"])
    op.create_index("ix_duties_lead", "duties", ["lead"])
    op.create_index("ix_consultation_requests_consultee", "consultation_requests", ["consultee"])


def downgrade() -> None:
    op.drop_index("ix_consultation_requests_consultee", table_name="consultation_requests")
    op.drop_index("ix_duties_lead", table_name="duties")
    op.drop_index("ix_duties_notice_id", table_name="duties")
