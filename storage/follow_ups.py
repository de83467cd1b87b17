"""Repository functions for follow-ups (the `followup` table). They never commit.

Done and reopen are conditional UPDATEs on `state`: of two racing clicks exactly one
changes the row, and the other learns it was already done (or open).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FollowUp, OutboxPost


async def add(*, session: AsyncSession, follow_up: FollowUp) -> FollowUp:
    """Insert a follow-up and give it its ID. The caller commits."""
    session.add(follow_up)
    await session.flush()
    return follow_up


async def get(*, session: AsyncSession, follow_up: int) -> FollowUp | None:
    """One follow-up by ID, read fresh."""
    found = await session.exec(select(FollowUp).where(col(FollowUp.id) == follow_up))
    return found.first()


async def for_incident(
    *, session: AsyncSession, incident: str, state: str | None = None
) -> Sequence[FollowUp]:
    """An incident's follow-ups (of one state), in the order added."""
    query = select(FollowUp).where(col(FollowUp.incident_id) == incident)
    if state is not None:
        query = query.where(col(FollowUp.state) == state)
    return (await session.exec(query.order_by(col(FollowUp.id)))).all()


async def mark_done_if_open(
    *, session: AsyncSession, follow_up: int, actor: str, now: datetime
) -> bool:
    """Mark it done unless it is done already; True when this call did. Caller commits."""
    result = await session.exec(
        update(FollowUp)
        .where(col(FollowUp.id) == follow_up, col(FollowUp.state) == "open")
        .values(state="done", done_by=actor, done_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def reopen_if_done(*, session: AsyncSession, follow_up: int) -> bool:
    """Open it again unless it is open; True when this call did. Caller commits."""
    result = await session.exec(
        update(FollowUp)
        .where(col(FollowUp.id) == follow_up, col(FollowUp.state) == "done")
        .values(state="open", done_by=None, done_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def shown_at(*, session: AsyncSession, post: int | None) -> tuple[str | None, str] | None:
    """(channel, ts) of the post showing a follow-up once it is posted; a None channel is
    the incident's own."""
    if post is None:
        return None
    row = await session.get(OutboxPost, post)
    if row is None or not row.posted or not row.ts:
        return None
    return row.channel, row.ts
