"""Reads for the App Home tab, a few queries for all incidents at once. They never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Event, FollowUp, Incident, RoleHolder, Timer


async def resolved_since(
    *, session: AsyncSession, since: datetime, limit: int
) -> Sequence[Incident]:
    """Incidents resolved at or after `since`, the most recently resolved first."""
    result = await session.exec(
        select(Incident)
        .where(Incident.status == "resolved", col(Incident.resolved_at) >= since)
        .order_by(col(Incident.resolved_at).desc(), col(Incident.id).desc())
        .limit(limit)
    )
    return result.all()


async def with_role_of(*, session: AsyncSession, user: str) -> set[str]:
    """IDs of the incidents where `user` holds a role (any incident, open or not)."""
    result = await session.exec(
        select(RoleHolder.incident_id).where(RoleHolder.user_id == user).distinct()
    )
    return set(result.all())


async def last_event_of_kinds(
    *, session: AsyncSession, incidents: Sequence[str], kinds: Sequence[str]
) -> dict[str, datetime]:
    """Incident ID → when its newest event of these kinds happened (absent when none)."""
    if not incidents:
        return {}
    newest = func.max(col(Event.at))
    result = await session.exec(
        select(Event.incident_id, newest)
        .where(col(Event.incident_id).in_(list(incidents)), col(Event.kind).in_(list(kinds)))
        .group_by(col(Event.incident_id))
    )
    return {incident: at for incident, at in result.all() if at is not None}


async def next_due_of_kinds(
    *, session: AsyncSession, incidents: Sequence[str], kinds: Sequence[str]
) -> dict[str, datetime]:
    """Incident ID → the earliest due time among its armed timers of these kinds."""
    if not incidents:
        return {}
    earliest = func.min(col(Timer.due_at))
    result = await session.exec(
        select(Timer.incident_id, earliest)
        .where(
            col(Timer.incident_id).in_(list(incidents)),
            col(Timer.kind).in_(list(kinds)),
            col(Timer.due_at).is_not(None),
        )
        .group_by(col(Timer.incident_id))
    )
    return {incident: at for incident, at in result.all() if incident and at is not None}


async def open_follow_ups_of(*, session: AsyncSession, owner: str) -> Sequence[FollowUp]:
    """The open follow-ups `owner` owns, the earliest due first (undated last)."""
    result = await session.exec(
        select(FollowUp)
        .where(FollowUp.owner_id == owner, FollowUp.state == "open")
        .order_by(col(FollowUp.due_on).is_(None), col(FollowUp.due_on), col(FollowUp.id))
    )
    return result.all()


async def newest_event_id(*, session: AsyncSession) -> int:
    """The ID of the newest timeline event (0 when there is none): every change records one."""
    result = await session.exec(select(func.max(Event.id)))
    return int(result.one() or 0)
