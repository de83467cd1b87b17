"""Handing over command: the one-commander rule applied (see `bot.domain.commander`)."""

from __future__ import annotations

from bot.blocks import lines
from bot.clock import Clock
from bot.domain.commander import check_hand_over, lost_race
from bot.replica import Replica
from bot.services import outbox, people
from bot.services.changes import timeline_event
from bot.services.display import show_change
from bot.services.unit import unit_of_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import repo
from storage.db import Database
from storage.models import Incident, OutboxPost


async def hand_over_command(
    incident: Incident,
    *,
    actor: str,
    new: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> None:
    """Make `new` the commander; only the commander or an admin may, and only to a person.

    The one-commander rule: `bot.domain.commander` decides, `repo.hand_over_if` enforces."""
    old = incident.commander_id
    check_hand_over(
        actor=actor, commander=old, new=new, status=incident.status, admins=settings.incident_admins
    )
    await people.require_person(new, "the incident commander", slack=slack)
    owed = await _record_handover(incident, actor=actor, old=old, new=new, db=db, clock=clock)
    try:
        await show_change(
            incident,
            owed,
            f"<@{new}> is the incident commander",
            invite=frozenset({new}),
            db=db,
            slack=slack,
            pack=pack,
            clock=clock,
            replica=replica,
        )
    finally:  # the change is committed: brief the new commander even if a redraw failed
        await people.brief_commander(incident, user=new, pack=pack, slack=slack)


async def _record_handover(
    incident: Incident, *, actor: str, old: str, new: str, db: Database, clock: Clock
) -> list[OutboxPost]:
    """Record the new commander, its event and its line in one unit of work; Conflict if
    command changed hands meanwhile. Returns the post it owes."""
    event = timeline_event(
        incident,
        actor=actor,
        kind="commander_changed",
        text=f"<@{old}> → <@{new}>",
        old=old,
        new=new,
        clock=clock,
    )
    async with unit_of_work(db) as session:
        changed = await repo.hand_over_if(
            session=session, incident=incident.id, expected=old, new=new, event=event
        )
        if not changed:
            now = await repo.get_incident(session=session, incident=incident.id)
            raise lost_race(now.commander_id if now else None)
        line = lines.commander_changed_line(actor=actor, old=old, new=new)
        return [outbox.owe(session, incident, line, clock=clock)]
