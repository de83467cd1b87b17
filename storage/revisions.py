"""Alembic revisions: the head the code needs, a database's current revision, upgrades on a
connection, and the upgrade's SQL without a database.

The Alembic configuration is built here in code, so the installed package (which has no
`alembic.ini`) migrates exactly as a checkout does. Alembic is imported inside the functions:
it costs ~0.3 s at import, and only migrating needs it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default name


def alembic_config(*, connection: Connection | None = None, stdout: TextIO | None = None) -> Config:
    """The Alembic configuration of `storage/migrations`, optionally bound to a connection
    (which `migrations/env.py` then uses instead of opening its own)."""
    from alembic.config import Config

    config = Config(output_buffer=stdout) if stdout is not None else Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head() -> str | None:
    """The newest revision of the migrations (read once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def chain() -> list[str]:
    """Every revision, oldest first."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def current(connection: Connection) -> str | None:
    """The revision the database is at; None for a database never migrated.

    Read from Alembic's version table directly: Alembic's own reader logs two lines at INFO
    on every call, which would drown the one line a refused start prints.
    """
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def upgrade(connection: Connection, target: str = "head") -> None:
    """Upgrade the database on `connection` to `target`."""
    from alembic import command

    command.upgrade(alembic_config(connection=connection), target)


def upgrade_sql(url: str, stdout: TextIO) -> None:
    """Write the SQL that builds the schema from nothing to head for `url`'s dialect, without
    touching that database.

    PostgreSQL's comes from Alembic's offline mode. SQLite's cannot: a batch migration there
    (a constraint added, a column with a computed default) rebuilds the table from what it
    reflects, which needs a database. So the upgrade runs on a throwaway in-memory SQLite
    database, and the statements it ran are written out (the reflection queries left out).
    """
    if not url.startswith("sqlite"):
        from alembic import command

        config = alembic_config(stdout=stdout)
        config.set_main_option("sqlalchemy.url", sync_url(url))
        command.upgrade(config, "head", sql=True)
        return
    engine = create_engine("sqlite://")

    @event.listens_for(engine, "before_cursor_execute")
    def _write(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "PRAGMA")):
            stdout.write(statement.strip() + ";\n\n")

    stdout.write("-- SQLite: what an upgrade of an empty database runs\n\nBEGIN;\n\n")
    with engine.begin() as connection:
        upgrade(connection)
    engine.dispose()
    stdout.write("COMMIT;\n")


def sync_url(url: str) -> str:
    """The bot's `sqlite:///…` / `postgresql://…` URL as SQLAlchemy names it without asyncio
    (offline mode only needs the dialect; `postgres://` is Heroku's spelling)."""
    if url.startswith("postgres://"):
        return "postgresql://" + url.removeprefix("postgres://")
    return url
