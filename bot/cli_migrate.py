"""`incident-bot migrate [--sql]`: bring DATABASE_URL's schema to the revision this code needs,
or print the SQL that does. Needs only DATABASE_URL (no Slack tokens), so a deploy can run
it as a step of its own before the replicas start (with AUTO_MIGRATE=false on them).
"""

from __future__ import annotations

import asyncio
import sys

from alembic.util import CommandError
from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import database_url_shape, describe_settings_error
from bot.startup import database_problem, error_line
from storage import revisions
from storage.db import Database


class MigrateSettings(BaseSettings):
    """The one setting a migration reads, from the environment and `.env`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./incidents.db"

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        return database_url_shape(value)


def migrate_command(*, sql: bool) -> int:
    """Upgrade (or print the SQL); one line and exit code 2 when DATABASE_URL is bad or its
    database cannot be migrated.

    Args:
        sql: print the upgrade's SQL for DATABASE_URL's dialect instead of running it; the
            database is not touched (it need not even exist).
    """
    try:
        url = MigrateSettings().database_url
    except ValidationError as error:
        return _fail(describe_settings_error(error))
    if sql:
        try:
            revisions.upgrade_sql(url, sys.stdout)
        except (SQLAlchemyError, CommandError) as error:  # e.g. no such dialect or driver
            return _fail(f"DATABASE_URL: cannot write its SQL ({error_line(error)})")
        return 0
    problem = asyncio.run(database_problem(url))
    if problem:
        return _fail(problem)
    try:
        found = asyncio.run(_migrate(url))
    except Exception as error:  # noqa: BLE001 - one line naming the setting
        return _fail(f"DATABASE_URL: the migration failed ({error_line(error)})")
    print(upgrade_outcome(found, revisions.head()))
    return 0


def upgrade_outcome(found: str | None, head: str | None) -> str:
    """The line that says what `migrate` did."""
    if found == head:
        return f"The database is already at head ({head})."
    return f"Upgraded the database from {found or 'empty'} to {head} (head)."


async def _migrate(url: str) -> str | None:
    database = Database(url)
    try:
        return await database.migrate()
    finally:
        await database.dispose()


def _fail(line: str) -> int:
    print(f"incident-bot: {line}", file=sys.stderr)
    return 2
