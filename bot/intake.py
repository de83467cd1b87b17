"""Durable intake: a Slack delivery is committed before it is acknowledged.

`Intake.admit` queues a delivery and waits for the batch it lands in to commit: while one
transaction is in flight the next requests gather behind it, so a burst of 50 requests is
a few transactions, not 50 queued ones (group commit). Nothing is acknowledged that a
crash can undo; when the database cannot take the delivery within the ack budget the
caller is told (`NotRecorded`) so the user hears that nothing was recorded.

The handler of a delivery finishes it in the same transaction as its effect (see
`bot.services.unit`), and a delivery whose handler died is replayed by `replay_stalled`
on any replica once its lease runs out. Leases of deliveries still being handled here are
renewed, so only the work of a dead process is taken over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from storage import inbox
from storage.db import Database

log = logging.getLogger(__name__)
ADMIT_BUDGET = 2.0  # seconds; Slack gives up on an ack after 3
LEASE = timedelta(seconds=10)
MAX_ATTEMPTS = 3
REFUSE_ATTEMPTS = 12


# PostgreSQL error classes that mean "not available now": connection exceptions, operator
# intervention (shutting down, starting up) and insufficient resources (disk full, too many
# connections).
UNAVAILABLE_SQLSTATES = ("08", "57", "53")


def database_unavailable(error: BaseException) -> bool:
    """True when `error` says the database is down, full or unreachable, not that a query
    was wrong: the delivery is kept, so its work can simply be done again later.

    A bare timeout or an HTTP client error is Slack's (slack_sdk raises both), never the
    database's: the database layer raises SQLAlchemy's errors, asyncpg's, or a refused
    connection.
    """
    if isinstance(error, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    if isinstance(error, DBAPIError):
        orig = error.orig
        return error.connection_invalidated or (orig is not None and database_unavailable(orig))
    if isinstance(error, asyncpg.PostgresError):
        return str(getattr(error, "sqlstate", "") or "").startswith(UNAVAILABLE_SQLSTATES)
    if isinstance(error, asyncpg.InterfaceError):
        return True  # e.g. "connection is closed"
    if isinstance(error, TimeoutError | aiohttp.ClientError):
        return False
    return isinstance(error, OSError)


class NotRecorded(Exception):
    """The delivery could not be committed in time; nothing about it was kept."""


class AlreadyHandled(Exception):
    """Another process (or an earlier attempt) already handled this delivery."""


@dataclass
class Delivery:
    """The Slack delivery a listener is handling; finished once its effect commits.

    `record` is set for a delivery not admitted yet (a modal submission): its inbox row is
    written with its effect, in one transaction, so it is kept exactly when the effect is.
    """

    key: str
    finished: bool = False
    record: dict[str, Any] | None = None
    left_for_replay: bool = False  # its work failed for want of a database: do it again later

    @classmethod
    def with_effect(cls, key: str, kind: str, payload: dict[str, Any], now: datetime) -> Delivery:
        """A delivery to be admitted in the same transaction as its effect."""
        row = {"key": key, "kind": kind, "payload": payload, "received_at": now}
        return cls(key, record={**row, "lease_until": now})


# The delivery being handled by the current listener task (None outside listeners).
HANDLING: ContextVar[Delivery | None] = ContextVar("handling", default=None)


@dataclass
class _Waiting:
    row: dict[str, Any]
    future: asyncio.Future[bool]
    abandoned: bool = False


@dataclass
class Intake:
    """Group-committed admission of deliveries, lease renewal and replay of stalled ones."""

    db: Database
    clock: Callable[[], datetime]
    budget: float = ADMIT_BUDGET
    # Told of each database failure the intake catches: (operation, error), for metrics.
    database_failed: Callable[[str, BaseException], None] = lambda operation, error: None
    working: set[str] = field(default_factory=set)
    _queue: list[_Waiting] = field(default_factory=list)
    _flusher: asyncio.Task[None] | None = None
    _refusing: set[asyncio.Task[None]] = field(default_factory=set)

    async def admit(self, *, key: str, kind: str, payload: dict[str, Any]) -> bool:
        """Commit a delivery; True if new, False if seen before. Raises NotRecorded."""
        now = self.clock()
        row = {
            "key": key,
            "kind": kind,
            "payload": payload,
            "received_at": now,
            "lease_until": now + LEASE,
        }
        waiting = _Waiting(row, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="intake-flush")
        try:
            new = await asyncio.wait_for(asyncio.shield(waiting.future), self.budget)
        except asyncio.CancelledError:
            waiting.abandoned = True  # the request is gone (shutdown): nobody was answered
            raise
        except TimeoutError:
            if waiting.future.done() and waiting.future.exception() is None:
                new = waiting.future.result()
            else:
                # Seen by the flusher before it commits (the row is dropped) or, if the
                # commit was already under way, after it (the row is marked refused).
                waiting.abandoned = True
                raise NotRecorded("the database did not answer within the ack budget") from None
        if new:
            self.working.add(key)
        return new

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = [w for w in self._queue if not w.abandoned], []
            if not batch:
                continue
            rows = {w.row["key"]: w.row for w in reversed(batch)}
            try:
                # Urgent: Slack is waiting for these acks; other writes can wait a moment.
                async with self.db.transaction(urgent=True) as session:
                    new = await inbox.admit(session=session, rows=list(rows.values()))
                    # A waiter that gave up meanwhile was told "not recorded": its row must
                    # not commit. (The check and the commit are one loop step apart.)
                    unwanted = new - {w.row["key"] for w in batch if not w.abandoned}
                    if unwanted:
                        await inbox.drop(session=session, keys=sorted(unwanted))
                        new -= unwanted
            except Exception as error:  # noqa: BLE001 - every waiter is told, none is lost
                self.database_failed("intake", error)
                log.warning("could not record %d Slack deliveries: %r", len(batch), error)
                for waiting in batch:
                    if not waiting.future.done():
                        waiting.future.set_exception(NotRecorded(str(error)))
                        waiting.future.exception()  # retrieved: an abandoned waiter is gone
                continue
            late, told = set(), set()
            for waiting in batch:
                key = waiting.row["key"]
                if waiting.abandoned:
                    late.add(key)  # gave up while the commit itself was under way
                elif not waiting.future.done():
                    waiting.future.set_result(key in new and key not in told)
                    told.add(key)
            late = (late & new) - told
            if late:
                task = asyncio.create_task(self._refuse(sorted(late)), name="intake-refuse")
                self._refusing.add(task)
                task.add_done_callback(self._refusing.discard)

    async def _refuse(self, keys: list[str]) -> None:
        """Deliveries whose sender was already told "not recorded" must never take effect.

        Retried for as long as a lease lasts several times over, so that no replica
        replays them meanwhile; only a crash in that window can let one through.
        """
        for attempt in range(REFUSE_ATTEMPTS):
            try:
                async with self.db.transaction(urgent=True) as session:
                    await inbox.refuse(session=session, keys=keys)
                return
            except Exception as error:  # noqa: BLE001 - try again shortly
                self.database_failed("intake_refuse", error)
                log.warning("could not mark %d late deliveries refused: %r", len(keys), error)
                await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
        log.error("late deliveries %s may be replayed although refused", keys)

    async def finish(self, key: str) -> None:
        """Mark a delivery handled when its handler committed nothing (e.g. a read)."""
        self.working.discard(key)
        try:
            async with self.db.transaction() as session:
                await inbox.finish(session=session, key=key)
        except Exception as error:  # noqa: BLE001 - it is replayed later; reads are harmless
            self.database_failed("intake_finish", error)
            log.warning("could not mark delivery %s handled: %r", key, error)

    def tasks(self) -> list[asyncio.Task[None]]:
        """The intake's own background tasks (for shutdown)."""
        return [*([self._flusher] if self._flusher else []), *self._refusing]

    def forget(self, key: str) -> None:
        """Stop renewing the lease of a delivery that is finished."""
        self.working.discard(key)

    async def renew_leases(self) -> None:
        """Keep the deliveries this process is still handling from being replayed elsewhere."""
        if not self.working:
            return
        async with self.db.transaction() as session:
            await inbox.renew(
                session=session, keys=sorted(self.working), until=self.clock() + LEASE
            )

    async def replay_stalled(
        self,
        replay: Callable[[str, dict[str, Any]], Awaitable[None]],
        give_up: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> int:
        """Replay deliveries whose handler died; returns how many this process took over."""
        now = self.clock()
        async with self.db.reader() as session:
            stalled = await inbox.stalled(session=session, now=now)
        taken = 0
        for item in stalled:
            if item.key in self.working:
                continue  # still being handled here (its lease merely lapsed): not stalled
            async with self.db.transaction() as session:
                won = await inbox.take_over(
                    session=session, key=item.key, expected=item.lease_until, until=now + LEASE
                )
            if not won:
                continue
            taken += 1
            if item.attempts >= MAX_ATTEMPTS:
                log.error("giving up on delivery %s after %d attempts", item.key, item.attempts)
                async with self.db.transaction() as session:
                    await inbox.finish(session=session, key=item.key, state=inbox.FAILED)
                await give_up(item.payload)
                continue
            log.info("replaying delivery %s (attempt %d)", item.key, item.attempts + 1)
            self.working.add(item.key)
            try:
                await replay(item.key, item.payload)
            except Exception as error:  # noqa: BLE001 - the lease lapses; it is tried again
                self.working.discard(item.key)
                log.warning("replay of %s failed to start: %r", item.key, error)
        return taken
