"""Updates, notes, the timeline and the open-incident list."""

from __future__ import annotations

from datetime import datetime

from bot.blocks.lines import note_line
from bot.blocks.messages import update_blocks
from bot.blocks.view import IncidentView
from bot.domain.text import clip, unescape
from bot.domain.timers import TimerKind
from bot.runtime import Runtime
from bot.services import timers
from bot.services.display import post_line
from bot.services.views import incident_view, load_view
from storage import repo
from storage.models import Incident

TEXT_LIMIT = 2800


async def post_update(rt: Runtime, incident: Incident, *, actor: str, text: str) -> None:
    """Record a status update, then post it formatted in the channel."""
    text = clip(unescape(text).strip(), TEXT_LIMIT)
    now = rt.clock()
    async with rt.db.session() as session:
        await repo.add_event(
            session=session,
            event=repo.new_event(
                incident=incident.id,
                at=now,
                actor=actor,
                kind="update_posted",
                text=text,
                audience="internal",
            ),
            then=lambda s: timers.reset_update_timer(
                s, rt.pack, incident, TimerKind.INTERNAL_UPDATE, now
            ),
        )
    _, view = await load_view(rt, incident.id)
    if incident.channel_id:
        await rt.client.chat_postMessage(
            channel=incident.channel_id,
            text=clip(f"Status update: {text}", 300),
            blocks=update_blocks(author=actor, text=text, view=view),
        )


async def add_note(rt: Runtime, incident: Incident, *, actor: str, text: str) -> None:
    """Record a note, then show it in the channel."""
    text = clip(unescape(text).strip(), TEXT_LIMIT)
    async with rt.db.session() as session:
        await repo.add_event(
            session=session,
            event=repo.new_event(
                incident=incident.id, at=rt.clock(), actor=actor, kind="note_added", text=text
            ),
        )
    await post_line(rt, incident, note_line(actor=actor, text=text))


async def timeline_lines(rt: Runtime, incident_id: str) -> list[tuple[datetime, str | None, str]]:
    """(time, actor, description) for every event, oldest first."""
    async with rt.db.reader() as session:
        events = await repo.timeline(session=session, incident=incident_id)
    return [(e.at, e.actor, describe_event(e.kind, e.text)) for e in events]


def describe_event(kind: str, text: str) -> str:
    """`Severity changed: SEV-2 → SEV-1` — kind as words, then the details."""
    label = kind.replace("_", " ").capitalize()
    return f"{label}: {clip(text, 500)}" if text else label


async def open_incident_views(rt: Runtime) -> list[IncidentView]:
    """Views of every open incident, newest first."""
    async with rt.db.reader() as session:
        incidents = await repo.list_open(session=session)
        return [
            incident_view(i, await repo.role_holders(session=session, incident=i.id), rt.pack)
            for i in incidents
        ]
