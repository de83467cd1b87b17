"""Repository functions for pages owed to PagerDuty and Opsgenie (the `page` table).

A page is owed in the unit of work of the change that reaches its level, once per
(incident, level, target, action): `owe` is an INSERT … ON CONFLICT DO NOTHING, so the
second replica (or the second `/incident page 1`) owes nothing. Sending is leased like the
outbox: `take` is a conditional UPDATE on the row's lease, so one process sends each try.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import dialect_insert
from storage.models import Page


async def owe(
    *,
    session: AsyncSession,
    incident: str,
    level: int,
    target: str,
    service: str,
    action: str,
    summary: str,
    details: dict[str, Any],
    rank: int,
    now: datetime,
    by: str | None = None,
) -> bool:
    """Owe a page, due now; False when this (incident, level, target, action) is owed
    already. The caller commits."""
    statement = (
        dialect_insert(session, Page)
        .values(
            incident_id=incident,
            level=level,
            target=target,
            service=service,
            action=action,
            state="pending",
            summary=summary,
            details=details,
            rank=rank,
            by=by,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
            lease_until=now,
            failure_told=False,
        )
        .on_conflict_do_nothing(index_elements=["incident_id", "level", "target", "action"])
    )
    result = await session.exec(statement)
    return bool(result.rowcount == 1)


async def for_incident(
    *, session: AsyncSession, incident: str, action: str = "trigger", level: int | None = None
) -> Sequence[Page]:
    """The incident's pages of this action (and level), oldest first."""
    query = select(Page).where(col(Page.incident_id) == incident, col(Page.action) == action)
    if level is not None:
        query = query.where(col(Page.level) == level)
    return (await session.exec(query.order_by(col(Page.id)))).all()


async def cancel_pending(*, session: AsyncSession, incident: str, action: str, reason: str) -> None:
    """Give up the incident's pages of this action not sent yet. The caller commits."""
    await session.exec(
        update(Page)
        .where(
            col(Page.incident_id) == incident,
            col(Page.action) == action,
            col(Page.state) == "pending",
        )
        .values(state="failed", last_error=reason)
        .execution_options(synchronize_session=False)
    )


async def due(
    *, session: AsyncSession, now: datetime, incident: str | None = None, limit: int = 50
) -> Sequence[Page]:
    """Pending pages whose next try is due and that nobody is sending, oldest first."""
    query = select(Page).where(
        col(Page.state) == "pending",
        col(Page.next_attempt_at) <= now,
        col(Page.lease_until) <= now,
    )
    if incident is not None:
        query = query.where(col(Page.incident_id) == incident)
    return (await session.exec(query.order_by(col(Page.id)).limit(limit))).all()


async def take(*, session: AsyncSession, page: int, expected: datetime, until: datetime) -> bool:
    """Lease a due page for one try; exactly one process wins. The caller commits."""
    result = await session.exec(
        update(Page)
        .where(
            col(Page.id) == page,
            col(Page.state) == "pending",
            col(Page.lease_until) == expected,
        )
        .values(lease_until=until, attempts=Page.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def renew(*, session: AsyncSession, pages: Sequence[int], until: datetime) -> None:
    """Extend the leases of pages this process is still sending. The caller commits."""
    if pages:
        await session.exec(
            update(Page)
            .where(col(Page.id).in_(list(pages)), col(Page.state) == "pending")
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )


async def settle(
    *,
    session: AsyncSession,
    page: int,
    state: str,
    now: datetime,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
    failure_told: bool | None = None,
) -> None:
    """Record a try: `sent`, `failed` for good, or still `pending` until `next_attempt_at`.
    The caller commits."""
    values: dict[str, Any] = {"state": state, "last_error": error, "lease_until": now}
    if state == "sent":
        values["sent_at"] = now
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    if failure_told is not None:
        values["failure_told"] = failure_told
    # A page given up meanwhile (its incident resolved) stays given up, unless it went out.
    still = col(Page.id) == page
    if state != "sent":
        still = still & (col(Page.state) == "pending")
    await session.exec(
        update(Page).where(still).values(**values).execution_options(synchronize_session=False)
    )
