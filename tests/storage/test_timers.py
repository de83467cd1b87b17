"""Reading due timers: the poll's plain Core read (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import timers
from storage.timers import DueTimer

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


async def test_due_timers_are_the_due_ones_oldest_first_up_to_the_limit(db):
    async with db.transaction() as session:
        for timer, due in [
            ("late", NOW - timedelta(minutes=1)),
            ("later", NOW),
            ("early", NOW - timedelta(minutes=5)),
            ("future", NOW + timedelta(seconds=1)),
            ("stopped", None),
        ]:
            await timers.set_due(
                session=session, timer=timer, incident=None, kind="tick", key=timer, due=due
            )
    due = await timers.due_timers(db=db, now=NOW)
    assert [t.id for t in due] == ["early", "late", "later"]
    assert due[0] == DueTimer(
        id="early", incident_id=None, kind="tick", key="early", due_at=due[0].due_at
    )
    assert due[0].due_at.replace(tzinfo=UTC) == NOW - timedelta(minutes=5)
    assert [t.id for t in await timers.due_timers(db=db, now=NOW, limit=2)] == ["early", "late"]
