"""The request inbox: every Slack delivery the bot acknowledges is a row here first.

A row is written (in a batch, one transaction for many requests) before the ack, so a
crash between the ack and the work loses nothing: a later pass replays rows still
`pending` whose lease ran out. The work itself finishes the row in its own transaction
(`finish`), a conditional UPDATE, so a delivery takes effect exactly once even when two
processes race to replay it. The key doubles as the duplicate check for Slack's retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import dialect_insert
from storage.models import InboxItem

PENDING, DONE, REFUSED, FAILED = "pending", "done", "refused", "failed"


async def admit(
    *, session: AsyncSession, rows: Sequence[dict[str, Any]], state: str = PENDING
) -> set[str]:
    """Insert new deliveries (`key`, `kind`, `payload`, `received_at`, `lease_until`).

    Returns the keys that were new; a key already present (a retry, a double click, a
    replica that got it first) is left alone. `state=DONE` records a delivery together with
    its effect in one transaction. The caller commits.
    """
    if not rows:
        return set()
    # One cached statement run with many parameter sets (SQLAlchemy sends it as one
    # multi-row INSERT … RETURNING), rather than a new statement per batch size.
    statement = (
        dialect_insert(session, InboxItem)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(InboxItem.key))
    )
    result = await session.exec(
        statement, params=[{**row, "state": state, "attempts": 0} for row in rows]
    )
    new = {str(key) for key in result.scalars().all()}
    for row in rows:
        if row["key"] not in new and await _revive(session, row, state):
            new.add(row["key"])
    return new


async def _revive(session: AsyncSession, row: dict[str, Any], state: str) -> bool:
    """Take a delivery refused earlier as new: its sender was told to send it again, and
    Slack's retry of a refused event is exactly that."""
    result = await session.exec(
        update(InboxItem)
        .where(col(InboxItem.key) == row["key"], col(InboxItem.state) == REFUSED)
        .values(**{**row, "state": state, "attempts": 0})
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def finish(*, session: AsyncSession, key: str, state: str = DONE) -> bool:
    """Mark a pending delivery handled; False if it was handled already (by anyone)."""
    result = await session.exec(
        update(InboxItem)
        .where(col(InboxItem.key) == key, col(InboxItem.state) == PENDING)
        .values(state=state)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def drop(*, session: AsyncSession, keys: Sequence[str]) -> None:
    """Take back rows added in this (uncommitted) transaction."""
    await session.exec(delete(InboxItem).where(col(InboxItem.key).in_(list(keys))))


async def refuse(*, session: AsyncSession, keys: Sequence[str]) -> None:
    """Mark deliveries whose sender was told "not recorded" so they are never replayed."""
    if keys:
        await session.exec(
            update(InboxItem)
            .where(col(InboxItem.key).in_(list(keys)), col(InboxItem.state) == PENDING)
            .values(state=REFUSED)
            .execution_options(synchronize_session=False)
        )


async def stalled(*, session: AsyncSession, now: datetime, limit: int = 50) -> Sequence[InboxItem]:
    """Pending deliveries whose handler's lease ran out (the process died), oldest first."""
    result = await session.exec(
        select(InboxItem)
        .where(col(InboxItem.state) == PENDING, col(InboxItem.lease_until) < now)
        .order_by(col(InboxItem.received_at))
        .limit(limit)
    )
    return result.all()


async def take_over(
    *, session: AsyncSession, key: str, expected: datetime | None, until: datetime
) -> bool:
    """Lease a stalled delivery for replay; exactly one process wins. The caller commits."""
    result = await session.exec(
        update(InboxItem)
        .where(
            col(InboxItem.key) == key,
            col(InboxItem.state) == PENDING,
            col(InboxItem.lease_until) == expected,
        )
        .values(lease_until=until, attempts=InboxItem.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def renew(*, session: AsyncSession, keys: Sequence[str], until: datetime) -> None:
    """Extend the leases of deliveries this process is still handling. The caller commits."""
    await session.exec(
        update(InboxItem)
        .where(col(InboxItem.key).in_(list(keys)), col(InboxItem.state) == PENDING)
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )


async def forget_before(*, session: AsyncSession, cutoff: datetime) -> None:
    """Drop handled deliveries older than the cutoff; Slack stops retrying long before."""
    await session.exec(
        delete(InboxItem).where(
            col(InboxItem.received_at) < cutoff, col(InboxItem.state) != PENDING
        )
    )


async def count_by_state(*, session: AsyncSession) -> dict[str, int]:
    """How many deliveries stand in each state (for tests, diagnostics and benchmarks)."""
    result = await session.exec(
        select(InboxItem.state, func.count()).group_by(col(InboxItem.state))
    )
    return {str(state): int(n) for state, n in result.all()}
