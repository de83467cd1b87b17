"""Adding a Slack message to an incident's timeline, by 📌 or the message shortcut.

The entry keeps the message's own time, author, text, permalink and file links. A message
is added once per incident: `storage.timeline_messages.add_once` (a conditional insert on
the message's key) gates the `message_pinned` event in the same commit, so racing
reactions, repeated shortcuts and replicas make one entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.domain.evidence import (
    DECLARED_FROM_MESSAGE,
    MESSAGE_PINNED,
    MessageLink,
    SourceMessage,
    event_data,
    source_message,
)
from bot.domain.evidence import timeline_text as entry_text
from bot.services.declare import Along
from bot.services.unit import unit_of_work
from bot.slack_gateway import SlackGateway
from storage import repo, timeline_messages
from storage.db import Database
from storage.models import Incident


@dataclass(frozen=True)
class Added:
    """The outcome of adding a message: `new` is False when it was in the timeline already."""

    incident: Incident
    message: SourceMessage
    permalink: str
    new: bool


async def incident_of_channel(channel_id: str, *, db: Database) -> Incident | None:
    """The incident whose channel this is, if any."""
    async with db.reader() as session:
        return await repo.get_by_channel(session=session, channel_id=channel_id)


async def open_incidents(*, db: Database) -> list[Incident]:
    """The open incidents, newest first (to choose one from)."""
    async with db.reader() as session:
        return list(await repo.list_open(session=session))


async def get_incident(incident_id: str, *, db: Database) -> Incident | None:
    """The incident with this ID, if any."""
    async with db.reader() as session:
        return await repo.get_incident(session=session, incident=incident_id)


async def read_message(channel: str, ts: str, *, slack: SlackGateway) -> SourceMessage | None:
    """The message `ts` of a channel the bot is in: from the history, else (a reply in a
    thread) from its thread; None when it is gone."""
    found = await slack.client.conversations_history(
        channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
    )
    for message in found.get("messages") or []:
        if message.get("ts") == ts:
            return source_message(channel, message)
    thread = await slack.client.conversations_replies(channel=channel, ts=ts, limit=1)
    for message in thread.get("messages") or []:
        if message.get("ts") == ts:
            return source_message(channel, message)
    return None


async def permalink_of(channel: str, ts: str, *, slack: SlackGateway) -> str:
    """The message's permalink, as Slack gives it."""
    found = await slack.client.chat_getPermalink(channel=channel, message_ts=ts)
    return str(found.get("permalink") or "")


async def is_added(incident: Incident, channel: str, ts: str, *, db: Database) -> bool:
    """Whether this message is in the incident's timeline already."""
    async with db.reader() as session:
        found = await timeline_messages.find(
            session=session, incident=incident.id, channel=channel, ts=ts
        )
    return found is not None


async def add_message(
    incident: Incident,
    message: SourceMessage,
    *,
    actor: str,
    via: str,
    db: Database,
    slack: SlackGateway,
    clock: Clock,
) -> Added:
    """Add the message to the incident's timeline, at the message's own time and in its
    author's name, unless it is there already."""
    permalink = await permalink_of(message.channel, message.ts, slack=slack)
    event = repo.new_event(
        incident=incident.id,
        at=message.posted_at,
        actor=message.author,
        kind=MESSAGE_PINNED,
        text=entry_text(message, permalink),
        **event_data(message, permalink, added_by=actor, via=via),
    )
    async with unit_of_work(db) as session:
        new = await timeline_messages.add_once(
            session=session,
            incident=incident.id,
            channel=message.channel,
            ts=message.ts,
            by=actor,
            now=clock(),
        )
        if new:
            repo.add_event(session=session, event=event)
    return Added(incident=incident, message=message, permalink=permalink, new=new)


async def pin_from_reaction(
    channel: str, ts: str, *, reactor: str, db: Database, slack: SlackGateway, clock: Clock
) -> Added | None:
    """📌 on a message in an incident channel: add it, once; None when the channel is not
    an incident's, the message is gone, or it is in the timeline already."""
    incident = await incident_of_channel(channel, db=db)
    if incident is None or await is_added(incident, channel, ts, db=db):
        return None  # a second 📌 costs no Slack call
    message = await read_message(channel, ts, slack=slack)
    if message is None:
        return None
    added = await add_message(
        incident, message, actor=reactor, via="reaction", db=db, slack=slack, clock=clock
    )
    return added if added.new else None


def record_source(link: MessageLink, *, actor: str) -> Along:
    """More for a declaration's own commit: the message it was declared from."""

    async def along(session: AsyncSession, incident: Incident) -> None:
        repo.add_event(
            session=session,
            event=repo.new_event(
                incident=incident.id,
                at=incident.declared_at,
                actor=actor,
                kind=DECLARED_FROM_MESSAGE,
                text=f"<{link.permalink}>" if link.permalink else "",
                channel=link.channel,
                ts=link.ts,
                permalink=link.permalink,
            ),
        )

    return along
