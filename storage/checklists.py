"""Repository functions for checklist runs and their ticks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChecklistRun, ChecklistTick, Event


def add_run(*, session: AsyncSession, run: ChecklistRun) -> None:
    """Record a checklist posting before it is posted."""
    session.add(run)


async def save_run_ts(*, session: AsyncSession, run: str, channel: str, ts: str) -> None:
    """Remember the message that shows a run."""
    await session.exec(
        update(ChecklistRun).where(col(ChecklistRun.id) == run).values(channel_id=channel, ts=ts)
    )


async def get_run(*, session: AsyncSession, run: str) -> ChecklistRun | None:
    """One run."""
    return await session.get(ChecklistRun, run)


async def posted_for(*, session: AsyncSession, incident: str) -> set[str]:
    """The checklists already posted for an incident (by checklist ID)."""
    result = await session.exec(
        select(ChecklistRun.checklist_id).where(ChecklistRun.incident_id == incident)
    )
    return set(result.all())


async def ticked(*, session: AsyncSession, run: str) -> dict[int, tuple[str, datetime]]:
    """Items currently ticked → (who ticked it, when); the newest row per item decides."""
    result = await session.exec(
        select(ChecklistTick).where(ChecklistTick.run_id == run).order_by(col(ChecklistTick.id))
    )
    state: dict[int, tuple[str, datetime]] = {}
    for tick in result.all():
        if tick.checked:
            state[tick.item] = (tick.user_id, tick.at)
        else:
            state.pop(tick.item, None)
    return state


def add_ticks(*, session: AsyncSession, ticks: list[ChecklistTick], events: list[Event]) -> None:
    """Record ticks (and incident events for them) in the caller's unit of work."""
    for row in [*ticks, *events]:
        session.add(row)
