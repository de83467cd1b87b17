"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable) and the fake Slack."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio

from storage.db import Database
from tests.fakeslack.conftest import fake  # noqa: F401 - re-exported fixture
from tests.harness import copy_migrated_sqlite

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    import asyncpg

    try:
        conn = await asyncio.wait_for(
            asyncpg.connect(POSTGRES_URL.replace("postgresql://", "postgres://")), 3
        )
    except Exception as error:  # noqa: BLE001 - any failure means "skip, and say why"
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(error).__name__}: {error})"
    await conn.close()
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


@asynccontextmanager
async def open_database(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database of the given kind ("sqlite" file or "postgres" schema)."""
    async with AsyncExitStack() as stack:
        if kind == "sqlite":
            path = tmp_path / "incidents.db"
            copy_migrated_sqlite(path)  # the same file Database.migrate() makes, copied
            database = Database(f"sqlite:///{path}")
            stack.push_async_callback(database.dispose)
        else:
            schema = await stack.enter_async_context(postgres_schema())
            database = Database(POSTGRES_URL, schema=schema)
            stack.push_async_callback(database.dispose)
            await database.migrate()
        yield database


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database: a real SQLite file, then the local PostgreSQL when reachable."""
    async with open_database(request.param, tmp_path) as database:
        yield database
