"""Databases for service tests: `db` (a SQLite file, then PostgreSQL) and `sqlite_db`.

`db` overrides the shared one in tests/conftest.py with the same meaning (a migrated, empty
database of the test's own) but migrates once per module: each SQLite test gets a copy of a
file migrated once, and the PostgreSQL schema is migrated once and emptied before each test.
Migrating per test costs more than these tests themselves. PostgreSQL skips by itself when
it is not reachable.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlmodel import SQLModel

from storage.db import Database
from tests.conftest import POSTGRES_URL, _postgres_reachable, open_database

T = TypeVar("T")


async def _admin(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql://", "postgres://"))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _migrated_schema(schema: str) -> None:
    await _admin(f'CREATE SCHEMA "{schema}"')
    database = Database(POSTGRES_URL, schema=schema)
    try:
        await database.migrate()
    finally:
        await database.dispose()


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a loop of its own (a test's loop may be running)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(make())).result()


@pytest.fixture(scope="module")
def postgres_schema_once() -> Iterator[str]:
    """A migrated schema of this module's own on the local PostgreSQL (or a skip)."""
    reason = _run(_postgres_reachable)
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _run(lambda: _migrated_schema(schema))
    try:
        yield schema
    finally:
        _run(lambda: _admin(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once for this module (copied, never opened, by the tests)."""
    folder = tmp_path_factory.mktemp("template")

    async def migrate() -> None:
        async with open_database("sqlite", folder):
            pass

    _run(migrate)
    return folder / "incidents.db"


@asynccontextmanager
async def _sqlite_copy(template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "incidents.db"
    shutil.copyfile(template, path)
    database = Database(f"sqlite:///{path}")
    try:
        yield database
    finally:
        await database.dispose()


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database: a real SQLite file, then the local PostgreSQL."""
    if request.param == "sqlite":
        async with _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path) as sqlite:
            yield sqlite
        return
    schema = request.getfixturevalue("postgres_schema_once")
    postgres = Database(POSTGRES_URL, schema=schema)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    async with postgres.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    try:
        yield postgres
    finally:
        await postgres.dispose()


@pytest_asyncio.fixture
async def sqlite_db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite file only, for tests whose SQL another test runs on both."""
    async with _sqlite_copy(sqlite_template, tmp_path) as sqlite:
        yield sqlite
