"""Repository functions for messages added to a timeline (the `timelinemessage` table).

`add_once` is an INSERT … ON CONFLICT DO NOTHING on (incident, channel, ts): of any number
of racing 📌 reactions or shortcuts, on any replica, exactly one inserts, and only that one
records the timeline event (in the same commit).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import dialect_insert
from storage.models import TimelineMessage


async def add_once(
    *, session: AsyncSession, incident: str, channel: str, ts: str, by: str, now: datetime
) -> bool:
    """Mark this message as in the incident's timeline; False when it already was. The
    caller commits."""
    statement = (
        dialect_insert(session, TimelineMessage)
        .values(incident_id=incident, channel_id=channel, ts=ts, added_by=by, added_at=now)
        .on_conflict_do_nothing(index_elements=["incident_id", "channel_id", "ts"])
    )
    result = await session.exec(statement)
    return bool(result.rowcount == 1)


async def find(
    *, session: AsyncSession, incident: str, channel: str, ts: str
) -> TimelineMessage | None:
    """The entry for this message in the incident's timeline, if it has one."""
    result = await session.exec(
        select(TimelineMessage).where(
            col(TimelineMessage.incident_id) == incident,
            col(TimelineMessage.channel_id) == channel,
            col(TimelineMessage.ts) == ts,
        )
    )
    return result.first()
