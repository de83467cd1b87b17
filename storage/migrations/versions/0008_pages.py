"""pages owed to PagerDuty and Opsgenie, once per (incident, level, target, action)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _text(length: int | None = None) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", _text(32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("target", _text(100), nullable=False),
        sa.Column("service", _text(16), nullable=False),
        sa.Column("action", _text(12), nullable=False),
        sa.Column("state", _text(12), nullable=False),
        sa.Column("summary", _text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("by", _text(32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", _text(), nullable=True),
        sa.Column("failure_told", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "level", "target", "action", name="uq_page_once"),
    )
    with op.batch_alter_table("page", schema=None) as batch_op:
        batch_op.create_index("ix_page_due", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("page", schema=None) as batch_op:
        batch_op.drop_index("ix_page_due")
    op.drop_table("page")
