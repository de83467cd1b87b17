"""Repository functions for timers: plan, claim a firing exactly once, and read what is due."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database, dialect_insert
from storage.models import Event, Timer


def _insert(session: AsyncSession, values: dict[str, Any]) -> Any:
    return dialect_insert(session, Timer).values(**values)


def _row(
    timer: str, incident: str | None, kind: str, key: str, due: datetime | None
) -> dict[str, Any]:
    return {"id": timer, "incident_id": incident, "kind": kind, "key": key, "due_at": due}


async def set_due(
    *,
    session: AsyncSession,
    timer: str,
    incident: str | None,
    kind: str,
    key: str = "",
    due: datetime | None,
) -> None:
    """Create or move a timer (None stops it), with its key. The caller commits."""
    statement = _insert(session, _row(timer, incident, kind, key, due))
    await session.exec(
        statement.on_conflict_do_update(index_elements=["id"], set_={"due_at": due, "key": key})
    )


async def insert_new(
    *, session: AsyncSession, incident: str, rows: Sequence[tuple[str, str, str, datetime | None]]
) -> None:
    """Insert a new incident's timers, `(id, kind, key, due)` each, in one statement."""
    if rows:
        await session.exec(
            insert(Timer).values(
                [_row(tid, incident, kind, key, due) for tid, kind, key, due in rows]
            )
        )


async def arm_once(
    *,
    session: AsyncSession,
    timer: str,
    incident: str | None,
    kind: str,
    key: str = "",
    due: datetime,
) -> None:
    """Arm a one-shot timer unless it already fired. The caller commits."""
    result = await session.exec(
        update(Timer).where(col(Timer.id) == timer, col(Timer.fired) == 0).values(due_at=due)
    )
    if result.rowcount == 0:
        statement = _insert(session, _row(timer, incident, kind, key, due))
        await session.exec(statement.on_conflict_do_nothing(index_elements=["id"]))


async def start_if_idle(
    *, session: AsyncSession, timer: str, incident: str, kind: str, key: str, due: datetime
) -> datetime | None:
    """Start a one-shot timer unless it is running: None when started, else when the
    running one falls due. The caller commits."""
    started = await session.exec(
        update(Timer)
        .where(col(Timer.id) == timer, col(Timer.due_at).is_(None))
        .values(due_at=due, key=key)
    )
    if started.rowcount:
        return None
    statement = _insert(session, _row(timer, incident, kind, key, due))
    inserted = await session.exec(statement.on_conflict_do_nothing(index_elements=["id"]))
    if inserted.rowcount:
        return None
    running = await session.get(Timer, timer)
    return running.due_at if running is not None and running.due_at is not None else due


async def disarm(
    *,
    session: AsyncSession,
    incident: str,
    kinds: Collection[str] | None = None,
    keep: Collection[str] = (),
    spare_kinds: Collection[str] = (),
) -> None:
    """Stop an incident's timers (of some kinds, not of `spare_kinds`), except the IDs in
    `keep`. The caller commits."""
    statement = update(Timer).where(
        col(Timer.incident_id) == incident, col(Timer.due_at).is_not(None)
    )
    if kinds is not None:
        statement = statement.where(col(Timer.kind).in_(list(kinds)))
    if spare_kinds:
        statement = statement.where(col(Timer.kind).not_in(list(spare_kinds)))
    if keep:
        statement = statement.where(col(Timer.id).not_in(list(keep)))
    await session.exec(statement.values(due_at=None))


async def lease(*, session: AsyncSession, timer: str, expected: datetime, until: datetime) -> bool:
    """Take a due timer for a short while: only the process whose UPDATE sees `expected` wins.

    A replica that loses spends one UPDATE, not the work of deciding what to post. If the
    winner dies before `claim`, the timer falls due again when the lease runs out. The
    caller commits (and may read what it needs in the same transaction first).
    """
    result = await session.exec(
        update(Timer)
        .where(col(Timer.id) == timer, col(Timer.due_at) == expected)
        .values(due_at=until)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def claim(
    *,
    session: AsyncSession,
    timer: str,
    expected: datetime,
    next_due: datetime | None,
    now: datetime,
    event: Event | None,
) -> bool:
    """Finish a firing: move the timer on only if it still holds `expected` (our lease).

    The event (if any) is added with it, so the timeline shows each firing once. It fails
    (changing nothing) if the timer was moved meanwhile, e.g. an update reset the countdown.
    The caller commits, so a batch of firings can share one transaction.
    """
    result = await session.exec(
        update(Timer)
        .where(
            col(Timer.id) == timer,
            col(Timer.due_at) == expected,
        )
        .values(due_at=next_due, fired=Timer.fired + 1, last_fired_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    if event is not None:
        session.add(event)
    return True


@dataclass(frozen=True)
class DueTimer:
    """A due timer as the poll sees it (a plain row: the poll runs several times a second)."""

    id: str
    incident_id: str | None
    kind: str
    key: str
    due_at: datetime


async def due_timers(*, db: Database, now: datetime, limit: int = 200) -> list[DueTimer]:
    """Timers due at or before `now`, oldest first, read without taking a write lock."""
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(read_only=True)
        # SQLAlchemy's select, not sqlmodel's: that one is typed for at most four columns.
        result = await conn.execute(
            select(
                col(Timer.id),
                col(Timer.incident_id),
                col(Timer.kind),
                col(Timer.key),
                col(Timer.due_at),
            )
            .where(col(Timer.due_at).is_not(None), col(Timer.due_at) <= now)
            .order_by(col(Timer.due_at))
            .limit(limit)
        )
        return [DueTimer(*row) for row in result]


async def arm_if_idle(
    *, session: AsyncSession, timer: str, kind: str, key: str, due: datetime
) -> None:
    """Arm a global timer only when it is missing or stopped. The caller commits."""
    await session.exec(
        update(Timer).where(col(Timer.id) == timer, col(Timer.due_at).is_(None)).values(due_at=due)
    )
    statement = _insert(session, _row(timer, None, kind, key, due))
    await session.exec(statement.on_conflict_do_nothing(index_elements=["id"]))
