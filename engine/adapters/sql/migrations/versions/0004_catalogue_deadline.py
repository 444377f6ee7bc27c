"""Keep a duty's catalogue deadline beside the deadline in force.

`duties.deadline` is the deadline in force (an extension moves it); the catalogue's own deadline was read back
as the first extension's old deadline, so a catalogue amended after an extension read back unamended, and
every later ingest amended it again. `catalogue_deadline` keeps it, filled here as it read back before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("duties") as batch:
        batch.add_column(sa.Column("catalogue_deadline", sa.Date(), nullable=True))
    op.execute(
        "UPDATE duties SET catalogue_deadline = COALESCE("
        "(SELECT old_deadline FROM extensions WHERE extensions.duty_id = duties.id AND extensions.seq = 1), "
        "deadline)"
    )


def downgrade() -> None:
    with op.batch_alter_table("duties") as batch:
        batch.drop_column("catalogue_deadline")
