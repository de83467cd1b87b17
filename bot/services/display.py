"""Keeping Slack in step with the database: topic, pinned card, announcement, change lines."""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError

from bot.blocks.card import (
    announcement_blocks,
    incident_card_blocks,
    incident_card_text,
    topic_text,
)
from bot.runtime import Runtime
from bot.services.views import load_view
from storage.models import Incident

log = logging.getLogger(__name__)
CHANNEL_GONE = frozenset({"channel_not_found", "is_archived", "not_in_channel"})


async def refresh_display(rt: Runtime, incident_id: str) -> None:
    """Edit the topic, card and announcement in place from the current database state."""
    async with rt.display_locks[incident_id]:
        incident, view = await load_view(rt, incident_id)
        if not incident.channel_id:
            return  # setup has not created the channel yet; it renders from fresh state later
        calls = [
            rt.client.conversations_setTopic(channel=incident.channel_id, topic=topic_text(view))
        ]
        if incident.card_ts:
            calls.append(
                rt.client.chat_update(
                    channel=incident.channel_id,
                    ts=incident.card_ts,
                    text=incident_card_text(view),
                    blocks=incident_card_blocks(view),
                )
            )
        if incident.announcement_ts and incident.announcement_channel:
            calls.append(
                rt.client.chat_update(
                    channel=incident.announcement_channel,
                    ts=incident.announcement_ts,
                    text=incident_card_text(view),
                    blocks=announcement_blocks(view),
                )
            )
        results = await asyncio.gather(*calls, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                log.warning("could not refresh %s in Slack: %s", incident_id, result)


async def post_line(rt: Runtime, incident: Incident, text: str) -> None:
    """Post a short line in the incident channel after a recorded change.

    A vanished or archived channel is raised so the user hears about it; anything else is
    logged, because the change itself is already committed.
    """
    if not incident.channel_id:
        return
    try:
        await rt.client.chat_postMessage(channel=incident.channel_id, text=text)
    except SlackApiError as error:
        code = error.response.get("error")
        if code in CHANNEL_GONE:
            raise
        log.warning("could not post in %s: %s", incident.channel_id, code)
