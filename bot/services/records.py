"""Updates, notes, the timeline and the open-incident list."""

from __future__ import annotations

from datetime import datetime

from bot.blocks.lines import note_line
from bot.blocks.messages import update_blocks, update_text
from bot.blocks.view import IncidentView
from bot.clock import Clock
from bot.domain.text import clip, unescape
from bot.domain.timers import TimerKind
from bot.domain.visibility import may_see
from bot.replica import Replica
from bot.services import outbox, stakeholders, timers
from bot.services.unit import unit_of_work
from bot.services.views import incident_view
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import repo
from storage.db import Database
from storage.models import Incident

TEXT_LIMIT = 2800


async def post_update(
    incident: Incident,
    *,
    actor: str,
    text: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
) -> None:
    """Record a status update (restarting its reminder), then post it formatted."""
    text = clip(unescape(text).strip(), TEXT_LIMIT)
    now = clock()
    event = repo.new_event(
        incident=incident.id,
        at=now,
        actor=actor,
        kind="update_posted",
        text=text,
        audience="internal",
    )
    view = incident_view(incident, {}, pack)
    async with unit_of_work(db) as session:
        repo.add_event(session=session, event=event)
        await timers.reset_update_timer(session, pack, incident, TimerKind.INTERNAL_UPDATE, now)
        post = outbox.owe(
            session,
            incident,
            update_text("Status update", text),
            update_blocks(author=actor, text=text, view=view),
            clock=clock,
        )
        thread = stakeholders.owe_thread_update(
            session,
            incident,
            label="Status update",
            author=actor,
            text=text,
            pack=pack,
            clock=clock,
        )
    await outbox.deliver([post, *thread], db=db, slack=slack, replica=replica)


async def add_note(
    incident: Incident,
    *,
    actor: str,
    text: str,
    db: Database,
    slack: SlackGateway,
    clock: Clock,
    replica: Replica,
) -> None:
    """Record a note, then show it in the channel."""
    text = clip(unescape(text).strip(), TEXT_LIMIT)
    async with unit_of_work(db) as session:
        repo.add_event(
            session=session,
            event=repo.new_event(
                incident=incident.id, at=clock(), actor=actor, kind="note_added", text=text
            ),
        )
        post = outbox.owe(session, incident, note_line(actor=actor, text=text), clock=clock)
    await outbox.deliver([post], db=db, slack=slack, replica=replica)


async def timeline_lines(
    incident_id: str, *, db: Database
) -> list[tuple[datetime, str | None, str]]:
    """(time, actor, description) for every event, oldest first."""
    async with db.reader() as session:
        events = await repo.timeline(session=session, incident=incident_id)
    return [(e.at, e.actor, describe_event(e.kind, e.text)) for e in events]


def describe_event(kind: str, text: str) -> str:
    """`Severity changed: SEV-2 → SEV-1` — kind as words, then the details."""
    label = kind.replace("_", " ").capitalize()
    return f"{label}: {clip(text, 500)}" if text else label


async def open_incident_views(
    *, db: Database, pack: Pack, viewer: str | None = None
) -> list[IncidentView]:
    """Views of every open incident, newest first; given a `viewer`, the private ones only
    when the incident records them (commander, declarer or a role holder).

    Membership is read from the stored record, not asked of Slack (`conversations.members`
    once per private incident would spend the rate limit on every `list`). The bot invites
    these people to the channel; someone a member added by hand does not see it listed."""
    async with db.reader() as session:
        views = []
        for i in await repo.list_open(session=session):
            holders = await repo.role_holders(session=session, incident=i.id)
            if viewer is None or may_see(viewer, i.private, involved(i, holders)):
                views.append(incident_view(i, holders, pack))
        return views


def involved(incident: Incident, holders: dict[str, list[str]]) -> set[str]:
    """The people an incident records: commander, declarer and role holders."""
    people = {incident.commander_id, incident.declared_by}
    return people.union(*holders.values())
