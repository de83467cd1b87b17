"""A resolved incident's channel: archived after ARCHIVE_AFTER_DAYS of quiet, postponed by
any message a person posts there, unarchived when the incident is reopened.

The notice and the archive are one-shot timers (`bot.domain.lifecycle` plans them, the
reminders service fires them exactly once across replicas)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.domain.lifecycle import archive_after, by_a_person
from bot.domain.timers import TimerKind, timer_id
from bot.services import timers
from bot.services.unit import unit_of_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from storage import repo
from storage.db import Database
from storage.models import Incident, Timer

log = logging.getLogger(__name__)
# Slack's answers that mean there is nothing (more) to archive.
NOTHING_TO_ARCHIVE = frozenset({"already_archived", "channel_not_found"})


async def postpone_archive(
    event: Mapping[str, object], *, db: Database, clock: Clock, settings: Settings, bot_user: str
) -> bool:
    """A person's message in a resolved incident's channel re-arms its archive (and the
    notice a day before) from now; True when it did."""
    after = archive_after(settings.archive_after_days)
    channel = event.get("channel")
    if after is None or not isinstance(channel, str) or not by_a_person(event, bot_user=bot_user):
        return False
    async with db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel)
        planned = None if incident is None else await _archive_planned(session, incident)
    now = clock()
    if incident is None or planned is None or incident.status != "resolved":
        return False
    if planned >= now + after:
        return False  # already later (it waits for a reminder after resolution)
    async with unit_of_work(db) as session:
        await timers.arm_archive(session, incident, now, after)
    return True


async def _archive_planned(session: AsyncSession, incident: Incident) -> datetime | None:
    """When the channel is to be archived; None when it is not (fired, or turned off)."""
    row = await session.get(Timer, timer_id(incident.id, TimerKind.ARCHIVE))
    if row is None or row.due_at is None:
        return None
    return datetime.fromisoformat(row.key)


async def archive_channel(incident: Incident, *, slack: SlackGateway) -> bool:
    """Archive the incident's channel; True when it is archived (or gone), False when Slack
    refused for now (the firing is then retried when its lease runs out)."""
    if not incident.channel_id:
        return True
    try:
        await slack.client.conversations_archive(channel=incident.channel_id)
    except SlackApiError as error:
        if error.response.get("error") in NOTHING_TO_ARCHIVE:
            return True
        log.warning("could not archive %s's channel: %s", incident.id, error)
        return False
    except Exception as error:  # noqa: BLE001 - retried after the lease
        log.warning("could not archive %s's channel: %r", incident.id, error)
        return False
    return True


async def unarchive_channel(incident: Incident, *, slack: SlackGateway) -> None:
    """Bring a reopened incident's channel back (nothing to do if it was not archived)."""
    if not incident.channel_id:
        return
    try:
        await slack.client.conversations_unarchive(channel=incident.channel_id)
    except SlackApiError as error:
        if error.response.get("error") != "not_archived":
            log.warning("could not unarchive %s's channel: %s", incident.id, error)
