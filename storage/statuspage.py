"""Repository functions for calls owed to Atlassian Statuspage (the `statuspagecall` table).

A call is owed in the unit of work of the customer update (create, then update) or the
resolve that owes it. An incident's calls go out one at a time, oldest first: an update
needs the Statuspage incident ID its create learned. Sending is leased like pages: `take`
is a conditional UPDATE on the row's lease, so one process sends each try.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import dialect_insert
from storage.models import StatuspageCall


def owe(
    *,
    session: AsyncSession,
    incident: str,
    action: str,
    status: str,
    body: str,
    now: datetime,
    name: str = "",
    impact: str | None = None,
) -> StatuspageCall:
    """Owe a call, due now. The caller commits."""
    call = StatuspageCall(
        incident_id=incident,
        action=action,
        status=status,
        name=name,
        body=body,
        impact=impact,
        created_at=now,
        next_attempt_at=now,
        lease_until=now,
    )
    session.add(call)
    return call


async def owe_create(
    *,
    session: AsyncSession,
    incident: str,
    status: str,
    body: str,
    name: str,
    impact: str | None,
    now: datetime,
) -> bool:
    """Owe the incident's create, due now; False when one is owed already (another replica
    recorded it a moment ago). The caller commits."""
    statement = (
        dialect_insert(session, StatuspageCall)
        .values(
            incident_id=incident,
            action="create",
            create_key=incident,
            status=status,
            name=name,
            body=body,
            impact=impact,
            state="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
            lease_until=now,
            failure_told=False,
        )
        .on_conflict_do_nothing(index_elements=["create_key"])
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def for_incident(*, session: AsyncSession, incident: str) -> Sequence[StatuspageCall]:
    """The incident's calls, oldest first."""
    query = select(StatuspageCall).where(col(StatuspageCall.incident_id) == incident)
    return (await session.exec(query.order_by(col(StatuspageCall.id)))).all()


async def due(
    *, session: AsyncSession, now: datetime, incident: str | None = None, limit: int = 200
) -> list[StatuspageCall]:
    """Each incident's oldest pending call, when its next try is due and nobody sends it."""
    query = select(StatuspageCall).where(col(StatuspageCall.state) == "pending")
    if incident is not None:
        query = query.where(col(StatuspageCall.incident_id) == incident)
    pending = (await session.exec(query.order_by(col(StatuspageCall.id)).limit(limit))).all()
    first: dict[str, StatuspageCall] = {}
    for call in pending:
        first.setdefault(call.incident_id, call)
    return [c for c in first.values() if c.next_attempt_at <= now and c.lease_until <= now]


async def take(*, session: AsyncSession, call: int, expected: datetime, until: datetime) -> bool:
    """Lease a due call for one try; exactly one process wins. The caller commits."""
    result = await session.exec(
        update(StatuspageCall)
        .where(
            col(StatuspageCall.id) == call,
            col(StatuspageCall.state) == "pending",
            col(StatuspageCall.lease_until) == expected,
        )
        .values(lease_until=until, attempts=StatuspageCall.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def settle(
    *,
    session: AsyncSession,
    call: int,
    state: str,
    now: datetime,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
    statuspage_id: str | None = None,
    failure_told: bool | None = None,
) -> None:
    """Record a try: `sent`, `failed` for good, or still `pending` until `next_attempt_at`.
    The caller commits."""
    values: dict[str, Any] = {"state": state, "last_error": error, "lease_until": now}
    if state == "sent":
        values["sent_at"] = now
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    if statuspage_id is not None:
        values["statuspage_id"] = statuspage_id
    if failure_told is not None:
        values["failure_told"] = failure_told
    await session.exec(
        update(StatuspageCall)
        .where(col(StatuspageCall.id) == call)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
