"""one Statuspage create per incident, even with two replicas at once

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("statuspagecall", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("create_key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.create_unique_constraint("uq_statuspagecall_create", ["create_key"])


def downgrade() -> None:
    with op.batch_alter_table("statuspagecall", schema=None) as batch_op:
        batch_op.drop_constraint("uq_statuspagecall_create", type_="unique")
        batch_op.drop_column("create_key")
