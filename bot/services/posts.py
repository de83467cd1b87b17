"""Posting exactly once: every bot post names its incident and purpose in message metadata.

When Slack's reply to `chat.postMessage` is lost (a reset connection, a timeout, a 5xx),
Slack may or may not have posted. Instead of posting again blindly, the bot reads the
channel's recent history for a post carrying the same metadata and adopts it. Setup that
resumes after a crash looks first, for the same reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
EVENT_TYPE = "incident_bot_post"
ATTEMPTS = 3
PAGES = 5
WINDOW = 300.0  # seconds of history searched after a lost reply


def post_metadata(incident_id: str, kind: str) -> dict[str, Any]:
    """The metadata that marks a post as this incident's `kind` (card, announcement, …)."""
    return {"event_type": EVENT_TYPE, "event_payload": {"incident_id": incident_id, "kind": kind}}


CANNOT_LOOK = frozenset({"not_in_channel", "channel_not_found", "missing_scope"})


def reply_lost(error: BaseException) -> bool:
    """True when Slack may have acted although the bot saw no answer."""
    if isinstance(error, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError):
        return True
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        return status >= 500
    return False


async def find_post(
    client: AsyncWebClient,
    *,
    channel: str,
    incident_id: str,
    kind: str,
    oldest: float | None,
    thread_ts: str | None = None,
) -> str | None:
    """The ts of the bot's post for this incident and kind in the channel (or, for a reply,
    in the thread of `thread_ts`: channel history holds no replies), if there is one.

    A channel whose history the bot may not read counts as "not found" (logged): posting
    a second time is better than not posting at all.
    """
    try:
        return await _search(client, channel, incident_id, kind, oldest, thread_ts)
    except SlackApiError as error:
        code = error.response.get("error", "")
        if code not in CANNOT_LOOK:
            raise
        log.warning("cannot look for an earlier %s post in %s: %s", kind, channel, code)
        return None


async def _search(
    client: AsyncWebClient,
    channel: str,
    incident_id: str,
    kind: str,
    oldest: float | None,
    thread_ts: str | None = None,
) -> str | None:
    cursor = None
    for _ in range(PAGES):
        arguments: dict[str, Any] = {
            "channel": channel,
            "oldest": f"{oldest:.6f}" if oldest else None,
            "include_all_metadata": True,
            "limit": 200,
            "cursor": cursor,
        }
        if thread_ts:
            page = await client.conversations_replies(ts=thread_ts, **arguments)
        else:
            page = await client.conversations_history(**arguments)
        messages: list[dict[str, Any]] = page.get("messages", [])
        for message in messages:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == EVENT_TYPE
                and payload.get("incident_id") == incident_id
                and payload.get("kind") == kind
            ):
                return str(message["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor or not page.get("has_more"):
            break
    return None


async def post_once(
    client: AsyncWebClient,
    *,
    channel: str,
    incident_id: str,
    kind: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    look_first: bool = False,
    since: float | None = None,
    **extra: Any,
) -> tuple[str, str]:
    """Post a message once; returns (channel ID, ts).

    `channel` must be an ID when a lookup may be needed. `look_first` searches (from `since`)
    before posting, for work resumed after a crash.
    """
    started = time.time()
    thread_ts = extra.get("thread_ts")
    if look_first:
        found = await find_post(
            client,
            channel=channel,
            incident_id=incident_id,
            kind=kind,
            oldest=since,
            thread_ts=thread_ts,
        )
        if found:
            return channel, found
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = await client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                metadata=post_metadata(incident_id, kind),
                **extra,
            )
            return str(response["channel"]), str(response["ts"])
        except Exception as error:
            if attempt == ATTEMPTS or not reply_lost(error):
                raise
            log.warning("reply to a %s post of %s lost (%r); looking", kind, incident_id, error)
            found = await find_post(
                client,
                channel=channel,
                incident_id=incident_id,
                kind=kind,
                oldest=started - WINDOW,
                thread_ts=thread_ts,
            )
            if found:
                return channel, found
            await asyncio.sleep(0.5 * attempt)
    raise AssertionError("unreachable")
