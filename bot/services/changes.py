"""What every change to an incident shares: finding the incident of a channel, its
timeline event, and the conditional update that commits a change with its event, the clocks
it moves and the posts it owes, in one unit of work (Conflict if someone changed it first).

The use cases live beside it: `command` (hand over), `severity`, `status` (status, resolve,
reopen) and `roles`. Each checks the rules, commits, and only then shows it in Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.domain.errors import (
    Conflict,
    NotInIncidentChannel,
)
from bot.logs import working_on
from bot.services import outbox, paging, statuspage, timers
from bot.services.unit import unit_of_work
from playbooks.business_calendar import BusinessCalendar
from playbooks.model import Pack
from storage import repo
from storage.db import Database
from storage.models import Event, Incident, OutboxPost

SUMMARY_LIMIT = 3000
RACE = (
    "Someone changed this incident at the same moment, so nothing was changed. "
    "Check the card and try again."
)


async def incident_for_channel(channel_id: str, subcommand: str, *, db: Database) -> Incident:
    """The incident of this channel, or NotInIncidentChannel."""
    async with db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel_id)
    if incident is None:
        raise NotInIncidentChannel(subcommand)
    working_on(incident.id)  # the rest of this request is about it
    return incident


async def incident_by_id(incident_id: str, *, db: Database) -> Incident | None:
    """The incident with this ID (a form names it in its metadata), or None."""
    if not incident_id:
        return None
    async with db.reader() as session:
        incident = await repo.get_incident(session=session, incident=incident_id)
    working_on(incident.id if incident else None)
    return incident


def timeline_event(
    incident: Incident, *, actor: str, kind: str, text: str, clock: Clock, **data: object
) -> Event:
    return repo.new_event(
        incident=incident.id, at=clock(), actor=actor, kind=kind, text=text, **data
    )


async def commit_change(
    incident: Incident,
    event: Event,
    *,
    field: str,
    value: str,
    line: str,
    blocks: list[dict[str, Any]] | None = None,
    elsewhere: Sequence[tuple[str, str]] = (),
    extra: dict[str, object] | None = None,
    replan: Incident | None = None,
    resolved: bool = False,
    calendar: BusinessCalendar | None = None,
    archive_after: timedelta | None = None,
    db: Database,
    pack: Pack,
    clock: Clock,
) -> list[OutboxPost]:
    """Conditional update + event + its line in the channel (+ the clocks it moves, and
    `elsewhere`: (channel, text) notices), in one commit; Conflict if someone changed it
    first. Returns the posts it owes. Moving the clocks (`replan`, `resolved`) needs the
    business `calendar` they are counted on; resolving arms the channel's archive
    `archive_after` (None: never)."""
    if (replan is not None or resolved) and calendar is None:
        raise TypeError("commit_change: replan and resolved need the business calendar")
    async with unit_of_work(db) as session:
        changed = await repo.change_if(
            session=session,
            incident=incident.id,
            field=field,
            expected=getattr(incident, field),
            new=value,
            event=event,
            extra=extra,
        )
        if not changed:
            raise Conflict(RACE)
        if replan is not None:
            assert calendar is not None  # checked above
            await timers.plan_open_incident(session, pack, replan, clock(), calendar=calendar)
        if resolved:
            assert calendar is not None
            await timers.stop_for_resolve(
                session, pack, incident, event.at, calendar=calendar, archive_after=archive_after
            )
            await paging.owe_resolves(session, incident, clock=clock)
            await statuspage.owe_resolve(session, incident, now=clock())
        owed = [outbox.owe(session, incident, line, blocks, clock=clock)]
        owed += [outbox.owe_in(session, incident, ch, text, clock=clock) for ch, text in elsewhere]
        return owed
