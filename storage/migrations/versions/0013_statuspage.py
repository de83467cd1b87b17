"""calls owed to Atlassian Statuspage: create, update and resolve an incident there

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import storage.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _text(length: int | None = None) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "statuspagecall",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", _text(32), nullable=False),
        sa.Column("action", _text(12), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("name", _text(), nullable=False),
        sa.Column("body", _text(), nullable=False),
        sa.Column("impact", _text(12), nullable=True),
        sa.Column("state", _text(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("statuspage_id", _text(64), nullable=True),
        sa.Column("last_error", _text(), nullable=True),
        sa.Column("failure_told", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("statuspagecall", schema=None) as batch_op:
        batch_op.create_index("ix_statuspagecall_due", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("statuspagecall", schema=None) as batch_op:
        batch_op.drop_index("ix_statuspagecall_due")
    op.drop_table("statuspagecall")
