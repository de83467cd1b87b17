"""alerts from monitoring and the "Declare incident?" proposals they raise

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _text(length: int | None = None) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery", _text(128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", _text(64), nullable=False),
        sa.Column("format", _text(16), nullable=False),
        sa.Column("fingerprint", _text(200), nullable=False),
        sa.Column("group_key", _text(300), nullable=False),
        sa.Column("status", _text(12), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("severity", _text(64), nullable=True),
        sa.Column("link", _text(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=True),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", _text(12), nullable=False),
        sa.Column("incident_id", _text(32), nullable=True),
        sa.Column("proposal_id", _text(32), nullable=True),
        sa.Column("resolved_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery", "position", name="uq_alert_delivery_position"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index("ix_alert_fingerprint", ["fingerprint", "resolved_at"], unique=False)
        batch_op.create_index("ix_alert_group", ["group_key", "received_at"], unique=False)
    op.create_table(
        "alertproposal",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("group_key", _text(300), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("severity", _text(64), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("state", _text(12), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", _text(32), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("incident_id", _text(32), nullable=True),
        sa.Column("channel", _text(80), nullable=True),
        sa.Column("ts", _text(32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alertproposal", schema=None) as batch_op:
        batch_op.create_index("ix_alertproposal_group", ["group_key", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alertproposal", schema=None) as batch_op:
        batch_op.drop_index("ix_alertproposal_group")
    op.drop_table("alertproposal")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_group")
        batch_op.drop_index("ix_alert_fingerprint")
    op.drop_table("alert")
