"""The post outbox: owed posts, leases and marking them posted (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import outbox

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=15)


async def test_posts_not_marked_are_taken_over_once_their_lease_runs_out(db):
    async with db.transaction() as session:
        owed = [
            outbox.add(
                session=session,
                incident=None,
                channel="C1",
                text=f"post {n}",
                blocks=None,
                now=NOW,
                lease_until=NOW + LEASE,
            )
            for n in range(3)
        ]
    ids = [post.id for post in owed]
    async with db.transaction() as session:
        await outbox.mark_posted(session=session, posts={ids[0]: "1.0001", ids[1]: None})
    later = NOW + LEASE + timedelta(seconds=1)
    async with db.reader() as session:
        assert await outbox.stalled(session=session, now=NOW) == []  # still leased
        stalled = await outbox.stalled(session=session, now=later)
    assert [post.id for post in stalled] == [ids[2]]
    async with db.transaction() as session:
        first = await outbox.take_over(
            session=session, post=ids[2], expected=stalled[0].lease_until, until=later + LEASE
        )
    async with db.transaction() as session:
        second = await outbox.take_over(
            session=session, post=ids[2], expected=stalled[0].lease_until, until=later + LEASE
        )
    assert (first, second) == (True, False)
