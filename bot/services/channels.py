"""Slack channel helpers shared by the services: members, lookups by name, the announcements."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack

log = logging.getLogger(__name__)
MAX_PAGES = 50  # pages of 1000 channels: bounded even in very large workspaces
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


async def invite_members(channel_id: str, users: set[str], *, slack: SlackGateway) -> None:
    """Invite people; someone already in the channel counts as invited."""
    users.discard("")
    if not users:
        return
    try:
        await slack.client.conversations_invite(channel=channel_id, users=",".join(sorted(users)))
    except SlackApiError as error:
        if error.response.get("error") != "already_in_channel":
            raise


async def channel_named(
    name: str, *, created_by_bot: bool = False, slack: SlackGateway, private: bool = False
) -> str | None:
    """The ID of the public (or, if asked, private) channel with this name (and, if asked,
    created by the bot)."""
    bot_user = (await slack.identity()).get("bot_user_id") if created_by_bot else None
    if created_by_bot and not bot_user:
        return None  # without knowing who we are, we can't tell our channel from another
    cursor = None
    for _ in range(MAX_PAGES):
        page = await slack.client.conversations_list(
            types="private_channel" if private else "public_channel",
            exclude_archived=True,
            limit=1000,
            cursor=cursor,
        )
        found: list[dict[str, Any]] = page.get("channels", [])
        for channel in found:
            if channel.get("name") == name and (
                not created_by_bot or channel.get("creator") == bot_user
            ):
                return str(channel["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return None


async def announcement_channel(*, slack: SlackGateway, settings: Settings) -> str:
    """INCIDENTS_CHANNEL as an ID when it can be found (lookups need one), else as given."""
    target = settings.incidents_channel.lstrip("#")
    if slack.announcement_channel_id:
        return slack.announcement_channel_id
    if CHANNEL_ID.match(target):
        slack.announcement_channel_id = target
        return target
    try:
        found = await channel_named(target, slack=slack)
    except SlackApiError as error:
        log.warning("could not look up INCIDENTS_CHANNEL %r: %s", target, error)
        return target
    if found:
        slack.announcement_channel_id = found
    return found or target


async def join_announcement_channel(*, slack: SlackGateway, settings: Settings) -> None:
    """Join INCIDENTS_CHANNEL, so the bot can read back its own announcements.

    `chat:write.public` lets the bot post in a public channel it is not in, but not read
    it; after a lost reply the bot must read it to avoid announcing twice.
    """
    channel = await announcement_channel(slack=slack, settings=settings)
    if not CHANNEL_ID.match(channel):
        log.warning("INCIDENTS_CHANNEL %r not found; announcements will fail", channel)
        return
    try:
        await slack.client.conversations_join(channel=channel)
    except SlackApiError as error:
        code = error.response.get("error", "")
        log.warning(
            "could not join INCIDENTS_CHANNEL %s (%s): invite the bot there so that it can "
            "check its own announcements after a lost reply",
            channel,
            code,
        )


async def channel_to_tell(name: str, *, slack: SlackGateway) -> str | None:
    """The ID of a channel a pack names (`#critical-alerts`, `critical-alerts` or an ID),
    joined so the bot can post there and read back its own posts; None when not found."""
    target = name.strip().lstrip("#")
    cached = slack.named_channels.get(target)
    if cached:
        return cached
    found = target if CHANNEL_ID.match(target) else await channel_named(target, slack=slack)
    if found is None:
        log.warning("the pack names channel %r, which does not exist", target)
        return None
    try:
        await slack.client.conversations_join(channel=found)
    except SlackApiError as error:
        log.warning("could not join %s: %s", target, error.response.get("error", ""))
    slack.named_channels[target] = found
    return found


async def join_pack_channels(pack: Pack, *, slack: SlackGateway) -> None:
    """Find and join, at startup, every channel the pack names, so that telling them later
    needs no lookup (best effort: one not found is logged and looked up again when used)."""
    names = {n for s in pack.severities for n in s.notify_channels}
    names |= {a.slack_channel for a in pack.comms.audiences if a.slack_channel}
    for name in sorted(names):
        try:
            await channel_to_tell(name, slack=slack)
        except Exception as error:  # noqa: BLE001 - Slack down at startup: looked up later
            log.warning("could not look up channel %r yet: %r", name, error)


# Slack's answers that a later try may not get again; any other refusal is final.
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def is_final(error: Exception) -> bool:
    """A refusal no retry would change (the channel is gone, private, archived…)."""
    if not isinstance(error, SlackApiError):
        return False  # unreachable, timed out: try again later
    return str(error.response.get("error", "")) not in TRANSIENT
