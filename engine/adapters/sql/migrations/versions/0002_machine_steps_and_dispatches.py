"""Record the machine work done per stage version, and every dispatch to Prefect.

`machine_steps` holds one row for each step of a stage's machine work (a kind of document, a closed window,
the stage's end), so that a rerun after a crash redoes nothing. `dispatches` holds each run asked of Prefect,
keyed {duty}:{stage}:{stage_version}:{attempt}, with the time the run works with and a random token the run is
tagged with; the reconciler reads it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "machine_steps",
        sa.Column("duty_id", sa.String(length=80), nullable=False),
        sa.Column("stage_version", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["duty_id"], ["duties.id"], name=op.f("fk_machine_steps_duty_id_duties")),
        sa.PrimaryKeyConstraint("duty_id", "stage_version", "step", name=op.f("pk_machine_steps")),
    )
    op.create_table(
        "dispatches",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("duty_id", sa.String(length=80), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("stage_version", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("acting_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flow_run_id", sa.String(length=40), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["duty_id"], ["duties.id"], name=op.f("fk_dispatches_duty_id_duties")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_dispatches")),
        sa.UniqueConstraint(
            "duty_id",
            "stage",
            "stage_version",
            "attempt",
            name=op.f("uq_dispatches_duty_id_stage_stage_version_attempt"),
        ),
    )


def downgrade() -> None:
    op.drop_table("dispatches")
    op.drop_table("machine_steps")
