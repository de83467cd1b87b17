"""an owed post can be a threaded reply (stakeholder updates under the announcement)

Revision ID: 0010
Revises: 0008 (to be re-chained after 0009 when merged)
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outboxpost", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("thread_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outboxpost", schema=None) as batch_op:
        batch_op.drop_column("thread_ts")
