"""Slack channel helpers shared by the services: members, lookups by name, our own posts."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime

log = logging.getLogger(__name__)
MAX_PAGES = 50  # pages of 1000 channels: bounded even in very large workspaces


async def invite_members(rt: Runtime, channel_id: str, users: set[str]) -> None:
    """Invite people; someone already in the channel counts as invited."""
    users.discard("")
    if not users:
        return
    try:
        await rt.client.conversations_invite(channel=channel_id, users=",".join(sorted(users)))
    except SlackApiError as error:
        if error.response.get("error") != "already_in_channel":
            raise


async def channel_named(rt: Runtime, name: str, *, created_by_bot: bool = False) -> str | None:
    """The ID of the public channel with this name (and, if asked, created by the bot)."""
    bot_user = (await rt.bot_identity()).get("bot_user_id") if created_by_bot else None
    if created_by_bot and not bot_user:
        return None  # without knowing who we are, we can't tell our channel from another
    cursor = None
    for _ in range(MAX_PAGES):
        page = await rt.client.conversations_list(
            types="public_channel", exclude_archived=True, limit=1000, cursor=cursor
        )
        for channel in page.get("channels", []):
            if channel.get("name") == name and (
                not created_by_bot or channel.get("creator") == bot_user
            ):
                return str(channel["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return None


async def own_message(rt: Runtime, channel_id: str, incident_id: str) -> str | None:
    """The ts of a card or announcement of this incident the bot already posted, if any."""
    bot_user = (await rt.bot_identity()).get("bot_user_id")
    try:
        history = await rt.client.conversations_history(channel=channel_id, limit=100)
    except SlackApiError as error:
        log.warning("could not look for an earlier post of %s: %s", incident_id, error)
        return None
    for message in history.get("messages", []):
        own = message.get("user") == bot_user or message.get("bot_id")
        if own and str(message.get("text", "")).startswith(f"{incident_id} · "):
            return str(message["ts"])
    return None
