"""The database engine: URL handling, SQLite pragmas, migrations and health."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import revisions
from storage.models import Heartbeat

_MIGRATION_LOCK = 0x1C1DE47  # PostgreSQL advisory lock key: one migrator at a time


def async_url(url: str) -> str:
    """Map `sqlite:///…` and `postgresql://…` to their asyncio drivers."""
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url.removeprefix("sqlite:")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE so writers never deadlock."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Readers that asked for it take no write lock; everyone else writes without deadlock.
        read_only = connection.get_execution_options().get("read_only")
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class WriteTurn:
    """SQLite's single writer, queued in-process: first come, first served, except that
    urgent writers (the request intake, whose commit a Slack ack waits for) go first."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def turn(self, *, urgent: bool) -> AsyncIterator[None]:
        """Hold the write turn for the block."""
        await self._acquire(urgent)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, urgent: bool) -> None:
        if not self._held and not self._urgent and not self._normal:
            self._held = True
            return
        granted = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # handed the turn just as we were cancelled: pass it on
            raise

    def _release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the turn passes straight to this waiter
                    return
        self._held = False


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.raw_url = url
        self.schema = schema
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {"pool_pre_ping": not self.is_sqlite}
        if schema and not self.is_sqlite:
            kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        self.engine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # SQLite has one writer at a time. Queueing writers here, instead of letting several
        # connections wait in SQLite's busy handler (which sleeps in growing steps), keeps
        # write latency at the cost of the write itself. Other processes still use the handler.
        self._write_turn = WriteTurn() if self.is_sqlite else None
        # On PostgreSQL, urgent writers get a small pool of their own (made on first use), so
        # that they never queue behind a burst of ordinary transactions for a connection.
        self._engine_options = kwargs
        self._urgent_engine: AsyncEngine | None = None
        self._urgent_sessions: async_sessionmaker[AsyncSession] | None = None

    @asynccontextmanager
    async def session(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A session for writing; the caller commits, anything uncommitted is rolled back.

        `urgent` writers jump the in-process SQLite queue (PostgreSQL has no queue).
        """
        if self._write_turn is None:
            sessions = self._urgent_pool() if urgent else self._sessions
            async with sessions() as session:
                yield session
            return
        async with self._write_turn.turn(urgent=urgent), self._sessions() as session:
            yield session

    def _urgent_pool(self) -> async_sessionmaker[AsyncSession]:
        if self._urgent_sessions is None:
            self._urgent_engine = create_async_engine(
                self.url, pool_size=2, max_overflow=2, **self._engine_options
            )
            self._urgent_sessions = async_sessionmaker(
                self._urgent_engine, class_=AsyncSession, expire_on_commit=False
            )
        return self._urgent_sessions

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        async with self.session(urgent=urgent) as session:
            yield session
            await session.commit()

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only: on SQLite it takes no write lock, so it never queues."""
        async with self._sessions() as session:
            await session.connection(execution_options={"read_only": True})
            yield session

    async def migrate(self) -> str | None:
        """Bring the schema to the newest Alembic revision; returns the revision it was at
        (None: a database never migrated).

        One migrator at a time: replicas starting together, or `incident-bot migrate` beside
        them, wait on PostgreSQL's advisory lock (SQLite's write lock serves on SQLite).
        """
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                await conn.run_sync(_sqlite_foreign_keys, False)
            try:
                async with conn.begin():
                    if not self.is_sqlite:
                        await conn.execute(
                            text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK}
                        )
                    # A restart's usual case, checked without loading every migration script.
                    found = await conn.run_sync(revisions.current)
                    if found != revisions.head():
                        await conn.run_sync(revisions.upgrade)
                        if self.is_sqlite:
                            await conn.run_sync(_no_dangling_references)
            finally:
                if self.is_sqlite:
                    await conn.run_sync(_sqlite_foreign_keys, True)
        return found

    async def revision(self) -> str | None:
        """The revision the database is at (None: never migrated)."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(revisions.current)

    async def check_connection(self) -> None:
        """Raise unless a trivial query succeeds."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def health(self, replica: str, now: datetime, *, timeout: float = 1.5) -> str:
        """`ok` when a write commits, `read_only` when only reads work, else `unreachable`.

        The write is real (this process's heartbeat row), so a full disk, a lock held too
        long or a read-only replica shows here, not only when a user's request fails.
        """
        try:
            async with asyncio.timeout(timeout):  # not wait_for: it can swallow a cancel
                await self._beat(replica, now)
            return "ok"
        except Exception:  # noqa: BLE001 - health checks report, they never raise
            pass
        try:
            async with asyncio.timeout(timeout):
                await self.check_connection()
        except Exception:  # noqa: BLE001
            return "unreachable"
        return "read_only"

    async def _beat(self, replica: str, now: datetime) -> None:
        # Urgent, like the intake: the probe asks whether a request could be kept now.
        async with self.transaction(urgent=True) as session:
            statement = dialect_insert(session, Heartbeat).values(replica=replica, beat_at=now)
            await session.exec(
                statement.on_conflict_do_update(index_elements=["replica"], set_={"beat_at": now})
            )

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self._urgent_engine is not None:
            await self._urgent_engine.dispose()


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Turn SQLite's foreign key checks on or off for this connection.

    Off while migrating: SQLite alters a table by rebuilding it (Alembic's batch mode), and
    dropping the old copy of a table that other rows point at fails with the checks on.
    Sent on the DBAPI connection, outside any transaction, where SQLite ignores the pragma.
    """
    cursor = connection.connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


def _no_dangling_references(connection: Connection) -> None:
    """Refuse (roll back) a migration that left a row pointing at nothing."""
    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if dangling:
        raise RuntimeError(f"the migration left rows with dangling references: {dangling[:5]}")


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that can take ON CONFLICT (both dialects spell it alike)."""
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(table)
