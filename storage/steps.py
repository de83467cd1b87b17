"""Repository functions for playbook steps, their phase messages and held customer drafts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Draft, Event, PhasePost, StepState


async def attach_steps(
    *,
    session: AsyncSession,
    incident: str,
    playbook: str,
    phases: Sequence[tuple[int, datetime | None]],
    event: Event,
) -> bool:
    """Create open step rows and phase posts for a playbook; False if it was attached already."""
    try:
        async with session.begin_nested():
            for phase, (steps, due_at) in enumerate(phases):
                session.add(
                    PhasePost(
                        incident_id=incident, playbook_id=playbook, phase=phase, due_at=due_at
                    )
                )
                for step in range(steps):
                    session.add(
                        StepState(
                            incident_id=incident, playbook_id=playbook, phase=phase, step=step
                        )
                    )
    except IntegrityError:
        return False  # attached already (perhaps by a racing click)
    session.add(event)
    return True


async def phase_posts(*, session: AsyncSession, incident: str) -> Sequence[PhasePost]:
    """Every phase message of an incident, in attach and phase order."""
    result = await session.exec(
        select(PhasePost)
        .where(PhasePost.incident_id == incident)
        .order_by(col(PhasePost.playbook_id), col(PhasePost.phase))
    )
    return result.all()


async def save_phase_ts(
    *, session: AsyncSession, incident: str, playbook: str, phase: int, ts: str
) -> None:
    """Remember which message shows a phase."""
    await session.exec(
        update(PhasePost)
        .where(
            col(PhasePost.incident_id) == incident,
            col(PhasePost.playbook_id) == playbook,
            col(PhasePost.phase) == phase,
        )
        .values(ts=ts)
    )


async def step_states(
    *, session: AsyncSession, incident: str, playbook: str
) -> dict[tuple[int, int], StepState]:
    """(phase, step) → state for one playbook of an incident."""
    result = await session.exec(
        select(StepState).where(
            StepState.incident_id == incident, StepState.playbook_id == playbook
        )
    )
    return {(s.phase, s.step): s for s in result.all()}


async def all_step_states(*, session: AsyncSession, incident: str) -> Sequence[StepState]:
    """Every step of every playbook attached to an incident."""
    result = await session.exec(select(StepState).where(StepState.incident_id == incident))
    return result.all()


async def move_step(
    *,
    session: AsyncSession,
    incident: str,
    playbook: str,
    phase: int,
    step: int,
    from_statuses: Collection[str],
    to_status: str,
    actor: str,
    at: datetime,
    note: str | None,
    event: Event,
) -> bool:
    """Move a step between statuses only if it is in one of `from_statuses`; one winner."""
    statement = (
        update(StepState)
        .where(*_step_is(incident, playbook, phase, step))
        .where(col(StepState.status).in_(list(from_statuses)))
        .values(status=to_status, actor=actor, at=at, note=note)
    )
    return await _update_with_event(session, statement, event)


async def assign_step(
    *,
    session: AsyncSession,
    incident: str,
    playbook: str,
    phase: int,
    step: int,
    assignee: str,
    event: Event,
) -> bool:
    """Assign a step to someone; False if it is already theirs."""
    statement = (
        update(StepState)
        .where(*_step_is(incident, playbook, phase, step))
        .where((col(StepState.assignee).is_(None)) | (col(StepState.assignee) != assignee))
        .values(assignee=assignee)
    )
    return await _update_with_event(session, statement, event)


def _step_is(incident: str, playbook: str, phase: int, step: int) -> list[Any]:
    return [
        col(StepState.incident_id) == incident,
        col(StepState.playbook_id) == playbook,
        col(StepState.phase) == phase,
        col(StepState.step) == step,
    ]


async def _update_with_event(session: AsyncSession, statement: Any, event: Event) -> bool:
    """Run a conditional UPDATE; add the event only if exactly one row changed."""
    result = await session.exec(statement)
    if result.rowcount != 1:
        return False
    session.add(event)
    return True


def add_draft(*, session: AsyncSession, draft: Draft) -> None:
    """Hold a customer update until its author decides."""
    session.add(draft)


async def get_draft(*, session: AsyncSession, draft_id: str) -> Draft | None:
    """A held customer update, if any."""
    return await session.get(Draft, draft_id, populate_existing=True)


async def settle_draft(
    *, session: AsyncSession, draft_id: str, incident: str, state: str
) -> Draft | None:
    """Move a pending draft of this incident to `state` (posted/cancelled) once.

    None if it was settled already or belongs to another incident.
    """
    result = await session.exec(
        update(Draft)
        .where(
            col(Draft.id) == draft_id,
            col(Draft.incident_id) == incident,
            col(Draft.state) == "pending",
        )
        .values(state=state)
    )
    if result.rowcount != 1:
        return None
    return await get_draft(session=session, draft_id=draft_id)
