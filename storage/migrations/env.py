"""Alembic environment: runs on the connection `storage.db` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers every table on SQLModel.metadata

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    """Run migrations on the connection passed in `config.attributes`."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("storage migrations run through storage.db.Database.migrate()")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
