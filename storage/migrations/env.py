"""Alembic environment, for three callers:

- `storage.db.Database.migrate()` hands over its connection (`config.attributes`), which
  already holds the migration lock: the bot's startup and `incident-bot migrate`;
- offline mode (`--sql`) renders SQL for the URL's dialect without connecting;
- Alembic's own CLI (`alembic upgrade head` with the repository's `alembic.ini`) opens its
  own engine on `sqlalchemy.url`, or else `DATABASE_URL` from the environment or `.env`.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from dotenv import dotenv_values
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers every table on SQLModel.metadata
from storage.db import async_url
from storage.revisions import sync_url

target_metadata = SQLModel.metadata
DEFAULT_URL = "sqlite:///./incidents.db"  # the bot's default DATABASE_URL


def database_url() -> str:
    """`sqlalchemy.url` if set, else DATABASE_URL (environment, then `.env`), else the default."""
    return (
        context.config.get_main_option("sqlalchemy.url")
        or os.environ.get("DATABASE_URL")
        or dotenv_values(".env").get("DATABASE_URL")
        or DEFAULT_URL
    )


def run_on(connection: Connection) -> None:
    """Run the migrations on an open connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Write the SQL instead of running it."""
    url = sync_url(database_url())
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    """Open an engine of our own (Alembic's CLI), with the bot's asyncio drivers."""
    engine = create_async_engine(async_url(database_url()), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)
handed_over = context.config.attributes.get("connection")
if handed_over is not None:
    run_on(handed_over)
elif context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_standalone())
