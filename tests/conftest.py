"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable) and the fake Slack."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import SQLModel

from storage.db import Database
from tests.fakeslack.conftest import fake  # noqa: F401 - re-exported fixture
from tests.harness import copy_migrated_sqlite

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


_reachability: list[str | None] = []  # the answer, once asked (once per process)


async def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not (asked once per process)."""
    import asyncpg

    if _reachability:
        return _reachability[0]
    try:
        conn = await asyncio.wait_for(
            asyncpg.connect(POSTGRES_URL.replace("postgresql://", "postgres://")), 3
        )
    except Exception as error:  # noqa: BLE001 - any failure means "skip, and say why"
        reason = f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(error).__name__}: {error})"
        _reachability.append(reason)
        return reason
    await conn.close()
    _reachability.append(None)
    return None


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A fresh, empty schema in the test PostgreSQL database, dropped afterwards."""
    import asyncpg

    reason = await _postgres_reachable()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql://", "postgres://"))
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """The URL of a database of its own on the local PostgreSQL, dropped afterwards (for
    real bot processes, which cannot be told a schema; never the shared `test` database)."""
    import asyncpg

    reason = await _postgres_reachable()
    if reason:
        pytest.skip(reason)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_URL.replace("postgresql://", "postgres://"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@dataclass
class _EmptiedSchema:
    """This process's migrated schema, and the SQL that empties it."""

    name: str
    emptying: str


_emptied: list[_EmptiedSchema] = []


async def emptied_postgres_schema() -> str:
    """A migrated schema in the test PostgreSQL database with every table empty.

    Made and migrated once per process (~200 ms of DDL), then emptied for each test with
    DELETEs (~1 ms; TRUNCATE takes ~30 ms) and its sequences restarted, so a test sees what
    a freshly migrated schema holds. Dropped when the process exits.
    """
    import asyncpg

    reason = await _postgres_reachable()
    if reason:
        pytest.skip(reason)
    conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql://", "postgres://"))
    try:
        if _emptied:
            try:
                # A test that left a transaction open must not hang the next one.
                await conn.execute("SET lock_timeout = '2s'")
                await conn.execute(_emptied[-1].emptying)
                return _emptied[-1].name
            except asyncpg.PostgresError:
                pass  # locked or damaged: leave it (dropped at exit), make another
        name = f"t_{uuid.uuid4().hex[:12]}"
        await conn.execute(f'CREATE SCHEMA "{name}"')
        atexit.register(_drop_schema_at_exit, name)
        database = Database(POSTGRES_URL, schema=name)
        try:
            await database.migrate()
        finally:
            await database.dispose()
        _emptied.append(_EmptiedSchema(name, await _emptying_sql(conn, name)))
        return name
    finally:
        await conn.close()


async def _emptying_sql(conn: Any, schema: str) -> str:
    """DELETE from every table (children first) and restart every sequence, in one go."""
    import storage.models  # noqa: F401 - registers every table on SQLModel.metadata

    present = {
        row[0]
        for row in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
    }
    ordered = [t.name for t in reversed(SQLModel.metadata.sorted_tables) if t.name in present]
    unknown = present - set(ordered) - {"alembic_version"}
    if unknown:  # a table no model describes: its place among the foreign keys is unknown
        raise RuntimeError(f"tables without a model in the migrated schema: {sorted(unknown)}")
    sequences = [
        row[0]
        for row in await conn.fetch(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = $1", schema
        )
    ]
    return "".join(
        [f'DELETE FROM "{schema}"."{table}";' for table in ordered]
        + [f'ALTER SEQUENCE "{schema}"."{sequence}" RESTART;' for sequence in sequences]
    )


def _drop_schema_at_exit(schema: str) -> None:
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql://", "postgres://"))
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    with contextlib.suppress(Exception):
        asyncio.run(drop())


@asynccontextmanager
async def open_database(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database of the given kind: a "sqlite" file of its own, or this
    process's "postgres" schema, emptied for the caller."""
    async with AsyncExitStack() as stack:
        if kind == "sqlite":
            path = tmp_path / "incidents.db"
            copy_migrated_sqlite(path)  # the same file Database.migrate() makes, copied
            database = Database(f"sqlite:///{path}")
            stack.push_async_callback(database.dispose)
        else:
            database = Database(POSTGRES_URL, schema=await emptied_postgres_schema())
            stack.push_async_callback(database.dispose)
        yield database


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database: a real SQLite file, then the local PostgreSQL when reachable."""
    async with open_database(request.param, tmp_path) as database:
        yield database


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `early` (long ones, such as installing the project into a fresh venv)
    are handed out first, so that they run beside the others rather than after them."""
    items.sort(key=lambda item: item.get_closest_marker("early") is None)
