"""messages added to an incident's timeline, once per (incident, channel, ts)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _text(length: int | None = None) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "timelinemessage",
        sa.Column("incident_id", _text(32), nullable=False),
        sa.Column("channel_id", _text(32), nullable=False),
        sa.Column("ts", _text(32), nullable=False),
        sa.Column("added_by", _text(32), nullable=False),
        sa.Column("added_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("incident_id", "channel_id", "ts"),
    )


def downgrade() -> None:
    op.drop_table("timelinemessage")
