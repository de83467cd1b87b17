"""Leases: one owner at a time, until the lease runs out (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import leases

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=30)


async def take(db, owner, now=NOW, until=LATER) -> bool:
    async with db.transaction() as session:
        return await leases.take(
            session=session, resource="display:INC-1", owner=owner, now=now, until=until
        )


async def test_one_owner_at_a_time_until_it_runs_out_or_is_released(db):
    assert await take(db, "a")
    assert not await take(db, "b")
    assert await take(db, "a")  # the owner renews
    much_later = LATER + timedelta(minutes=5)
    assert await take(db, "b", now=LATER + timedelta(seconds=1), until=much_later)  # ran out
    async with db.transaction() as session:
        await leases.release(session=session, resource="display:INC-1", owner="a")  # not a's
    assert not await take(db, "a", now=LATER + timedelta(seconds=1))
    async with db.transaction() as session:
        await leases.release(session=session, resource="display:INC-1", owner="b")
    assert await take(db, "a", now=LATER + timedelta(seconds=1))
