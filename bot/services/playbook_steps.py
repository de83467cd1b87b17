"""A playbook step clicked: done, skip, undo (in order, for ordered playbooks) or assign;
who may change which step; of racing clicks exactly one is recorded."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.domain.errors import BadCommand, Conflict, OutOfOrder
from bot.domain.ordering import waiting_for
from bot.domain.policy import require_step_authority
from bot.domain.text import clip
from bot.replica import Replica
from bot.services import people
from bot.services.playbooks import find_playbook, refresh_phase
from bot.services.unit import unit_of_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack, Playbook, Step
from storage import repo, steps
from storage.db import Database
from storage.models import Incident

MOVES = {
    "done": ({"open"}, "done", "step_completed"),
    "skip": ({"open"}, "skipped", "step_skipped"),
    "undo": ({"done", "skipped"}, "open", "step_reopened"),
}


async def move_step(
    incident: Incident,
    *,
    actor: str,
    playbook_id: str,
    phase: int,
    step: int,
    move: str,
    confirmed: bool = False,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> None:
    """Done, skip or undo a step; of racing clicks exactly one is recorded. In an ordered
    playbook, ticking a step ahead of open earlier ones raises OutOfOrder unless `confirmed`."""
    playbook, found = await authorized_step(
        incident, playbook_id, phase, step, actor, db=db, pack=pack, settings=settings
    )
    if move == "done" and not confirmed:
        await _check_order(incident, playbook, found, phase, step, db=db)
    moved = await _record_move(
        incident,
        playbook,
        found,
        phase=phase,
        step=step,
        move=move,
        actor=actor,
        db=db,
        clock=clock,
    )
    await refresh_phase(
        incident, playbook.id, phase, db=db, slack=slack, pack=pack, replica=replica
    )
    if not moved:
        raise Conflict(
            "Someone else changed this step just before you; the message now shows where it stands."
        )


async def _check_order(
    incident: Incident, playbook: Playbook, found: Step, phase: int, step: int, *, db: Database
) -> None:
    """OutOfOrder when the step waits for open ones: earlier phases of an ordered playbook,
    or the steps its `after` names."""
    if not playbook.ordered and not found.after:
        return
    async with db.reader() as session:
        states = await steps.step_states(
            session=session, incident=incident.id, playbook=playbook.id
        )
    statuses = {where: state.status for where, state in states.items()}
    named = playbook.step_ids
    after = [named[name] for name in found.after if name in named]
    waiting = waiting_for(phase, step, statuses, ordered=playbook.ordered, after=after)
    if waiting:
        texts = [playbook.phases[p].steps[s].text for p, s in waiting]
        raise OutOfOrder(found.text, texts)


async def _record_move(
    incident: Incident,
    playbook: Playbook,
    found: Step,
    *,
    phase: int,
    step: int,
    move: str,
    actor: str,
    db: Database,
    clock: Clock,
) -> bool:
    """Record the step's move with its event in one unit of work; False when a racing click
    moved it first."""
    async with unit_of_work(db) as session:
        return await move_in(
            session,
            incident,
            playbook,
            found,
            phase=phase,
            step=step,
            move=move,
            actor=actor,
            now=clock(),
        )


async def move_in(
    session: AsyncSession,
    incident: Incident,
    playbook: Playbook,
    found: Step,
    *,
    phase: int,
    step: int,
    move: str,
    actor: str,
    now: datetime,
) -> bool:
    """Add the step's move and its event to the caller's unit of work (a conditional
    update); False when the step is no longer where the move starts from."""
    allowed, status, kind = MOVES[move]
    event = repo.new_event(
        incident=incident.id,
        at=now,
        actor=actor,
        kind=kind,
        text=clip(found.text, 300),
        playbook=playbook.id,
        phase=phase,
        step=step,
        flags=list(found.flags),
    )
    return await steps.move_step(
        session=session,
        incident=incident.id,
        playbook=playbook.id,
        phase=phase,
        step=step,
        from_statuses=allowed,
        to_status=status,
        actor=actor,
        at=now,
        note="not applicable" if move == "skip" else None,
        event=event,
    )


async def assign_step(
    incident: Incident,
    *,
    actor: str,
    playbook_id: str,
    phase: int,
    step: int,
    assignee: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> None:
    """Assign a step to a person (not a bot, nor someone deactivated)."""
    playbook, found = await authorized_step(
        incident, playbook_id, phase, step, actor, db=db, pack=pack, settings=settings
    )
    await people.require_person(assignee, "a step's assignee", slack=slack)
    event = repo.new_event(
        incident=incident.id,
        at=clock(),
        actor=actor,
        kind="step_assigned",
        text=f"{clip(found.text, 200)} → <@{assignee}>",
        playbook=playbook.id,
        phase=phase,
        step=step,
        assignee=assignee,
    )
    async with unit_of_work(db) as session:
        await steps.assign_step(
            session=session,
            incident=incident.id,
            playbook=playbook.id,
            phase=phase,
            step=step,
            assignee=assignee,
            event=event,
        )
    await refresh_phase(
        incident, playbook.id, phase, db=db, slack=slack, pack=pack, replica=replica
    )


def _step(playbook: Playbook, phase: int, step: int) -> Step:
    try:
        return playbook.phases[phase].steps[step]
    except IndexError:
        raise BadCommand("That step no longer exists in the playbook.") from None


async def authorized_step(
    incident: Incident,
    playbook_id: str,
    phase: int,
    step: int,
    actor: str,
    *,
    db: Database,
    pack: Pack,
    settings: Settings,
) -> tuple[Playbook, Step]:
    """The playbook and step a click names, once the actor may change that step.

    The step must belong to a playbook running in this incident: a click whose block names
    another incident's playbook changes nothing.
    """
    playbook = find_playbook(playbook_id, pack=pack)
    found = _step(playbook, phase, step)
    async with db.reader() as session:
        states = await steps.step_states(
            session=session, incident=incident.id, playbook=playbook.id
        )
        holders_by_role = await repo.role_holders(session=session, incident=incident.id)
    if (phase, step) not in states:
        raise BadCommand(
            f"That step is not part of a playbook running in {incident.id}; nothing was changed."
        )
    role = pack.role(found.role or "")
    if role is None or role.id == "commander":
        return playbook, found
    holders = holders_by_role.get(role.id)
    require_step_authority(
        role.name,
        single=role.single,
        holder=holders[0] if holders else None,
        actor=actor,
        commander=incident.commander_id,
        admins=settings.incident_admins,
    )
    return playbook, found
