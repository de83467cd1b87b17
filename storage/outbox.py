"""Repository functions for the post outbox: messages owed to Slack, kept with their change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxPost


def add(
    *,
    session: AsyncSession,
    incident: str | None,
    text: str,
    blocks: list[dict[str, Any]] | None,
    now: datetime,
    lease_until: datetime,
    channel: str | None = None,
    thread_ts: str | None = None,
) -> OutboxPost:
    """Owe a post (to `channel`, or the incident's channel; in a thread with `thread_ts`);
    the caller commits."""
    post = OutboxPost(
        incident_id=incident,
        channel=channel,
        thread_ts=thread_ts,
        text=text,
        blocks=blocks,
        created_at=now,
        lease_until=lease_until,
    )
    session.add(post)
    return post


async def stalled(*, session: AsyncSession, now: datetime, limit: int = 50) -> Sequence[OutboxPost]:
    """Posts still owed whose poster's lease ran out, oldest first."""
    result = await session.exec(
        select(OutboxPost)
        .where(col(OutboxPost.posted).is_(False), col(OutboxPost.lease_until) < now)
        .order_by(col(OutboxPost.id))
        .limit(limit)
    )
    return result.all()


async def take_over(
    *, session: AsyncSession, post: int, expected: datetime | None, until: datetime
) -> bool:
    """Lease a stalled post; exactly one process wins. The caller commits."""
    result = await session.exec(
        update(OutboxPost)
        .where(
            col(OutboxPost.id) == post,
            col(OutboxPost.posted).is_(False),
            col(OutboxPost.lease_until) == expected,
        )
        .values(lease_until=until, attempts=OutboxPost.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def renew(*, session: AsyncSession, posts: Sequence[int], until: datetime) -> None:
    """Extend the leases of posts this process is still posting. The caller commits."""
    if posts:
        await session.exec(
            update(OutboxPost)
            .where(col(OutboxPost.id).in_(list(posts)), col(OutboxPost.posted).is_(False))
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )


async def mark_posted(*, session: AsyncSession, posts: Mapping[int, str | None]) -> None:
    """These posts are in Slack (ts), or given up on (None). The caller commits."""
    if posts:
        # Core, so that it runs as one executemany. SQLAlchemy sets __table__ on a mapped class;
        # SQLModel does not declare it, hence the ignore.
        table: Table = OutboxPost.__table__  # type: ignore[attr-defined]
        await session.exec(
            update(table)
            .where(table.c.id == bindparam("post_id"))
            .values(posted=True, ts=bindparam("post_ts"), lease_until=None),
            params=[{"post_id": post, "post_ts": ts} for post, ts in posts.items()],
        )
