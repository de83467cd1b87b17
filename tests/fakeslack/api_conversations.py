"""conversations.* Web API methods."""

from __future__ import annotations

from .models import JSON, Channel
from .registry import (
    ApiError,
    Args,
    get_channel,
    get_user,
    method,
    require_live,
    require_member,
)
from .state import Workspace
from .validation import MAX_TOPIC, channel_name_error


def _is_general(channel: Channel) -> bool:
    return channel.name == "general"


@method("conversations.create")
def create(ws: Workspace, a: Args) -> JSON:
    """Create a channel; the bot becomes its first member."""
    name = a.text("name").strip()
    error = channel_name_error(name)
    if error:
        raise ApiError(error)
    if ws.channel_by_name(name) is not None:
        raise ApiError("name_taken")
    channel = ws.add_channel(name, is_private=a.flag("is_private"))
    return {"channel": channel.to_json()}


@method("conversations.invite")
def invite(ws: Workspace, a: Args) -> JSON:
    """Invite users (comma-separated ids) to a channel the bot is in."""
    channel = get_channel(ws, a)
    require_live(channel)
    require_member(ws, channel)
    user_ids = [u.strip() for u in a.required("users", "no_user").split(",") if u.strip()]
    if not user_ids:
        raise ApiError("no_user")
    if ws.bot_user_id in user_ids:
        raise ApiError("cant_invite_self")
    for user_id in user_ids:
        get_user(ws, user_id)
    new = [u for u in user_ids if u not in channel.members]
    if not new:
        raise ApiError("already_in_channel")
    channel.members.update(new)
    return {"channel": channel.to_json()}


@method("conversations.kick")
def kick(ws: Workspace, a: Args) -> JSON:
    """Remove a user from a channel."""
    channel = get_channel(ws, a)
    require_member(ws, channel)
    user = get_user(ws, a.required("user", "user_not_found"))
    if user.id == ws.bot_user_id:
        raise ApiError("cant_kick_self")
    if user.id not in channel.members:
        raise ApiError("not_in_channel")
    channel.members.discard(user.id)
    return {}


@method("conversations.join")
def join(ws: Workspace, a: Args) -> JSON:
    """The bot joins a public channel."""
    channel = get_channel(ws, a)
    require_live(channel)
    if channel.is_private:
        raise ApiError("method_not_supported_for_channel_type")
    already = ws.bot_user_id in channel.members
    channel.members.add(ws.bot_user_id)
    extra: JSON = {"warning": "already_in_channel"} if already else {}
    return {"channel": channel.to_json(), **extra}


@method("conversations.leave")
def leave(ws: Workspace, a: Args) -> JSON:
    """The bot leaves a channel."""
    channel = get_channel(ws, a)
    require_live(channel)
    if _is_general(channel):
        raise ApiError("cant_leave_general")
    if ws.bot_user_id not in channel.members:
        return {"not_in_channel": True}
    channel.members.discard(ws.bot_user_id)
    return {}


@method("conversations.archive")
def archive(ws: Workspace, a: Args) -> JSON:
    """Archive a channel the bot is in."""
    channel = get_channel(ws, a)
    if channel.is_archived:
        raise ApiError("already_archived")
    if _is_general(channel):
        raise ApiError("cant_archive_general")
    require_member(ws, channel)
    channel.is_archived = True
    return {}


@method("conversations.unarchive")
def unarchive(ws: Workspace, a: Args) -> JSON:
    """Unarchive a channel."""
    channel = get_channel(ws, a)
    if not channel.is_archived:
        raise ApiError("not_archived")
    channel.is_archived = False
    return {}


@method("conversations.setTopic")
def set_topic(ws: Workspace, a: Args) -> JSON:
    """Set a channel's topic (at most 250 characters)."""
    channel = get_channel(ws, a)
    require_live(channel)
    require_member(ws, channel)
    topic = a.text("topic")
    if len(topic) > MAX_TOPIC:
        raise ApiError("too_long")
    channel.topic = topic
    return {"channel": channel.to_json(), "topic": topic}


@method("conversations.setPurpose")
def set_purpose(ws: Workspace, a: Args) -> JSON:
    """Set a channel's purpose (at most 250 characters)."""
    channel = get_channel(ws, a)
    require_live(channel)
    require_member(ws, channel)
    purpose = a.text("purpose")
    if len(purpose) > MAX_TOPIC:
        raise ApiError("too_long")
    channel.purpose = purpose
    return {"channel": channel.to_json(), "purpose": purpose}


@method("conversations.info")
def info(ws: Workspace, a: Args) -> JSON:
    """Describe a channel."""
    return {"channel": get_channel(ws, a).to_json()}


@method("conversations.members")
def members(ws: Workspace, a: Args) -> JSON:
    """List a channel's member ids (sorted, single page)."""
    channel = get_channel(ws, a)
    return {"members": sorted(channel.members), "response_metadata": {"next_cursor": ""}}


@method("conversations.history")
def history(ws: Workspace, a: Args) -> JSON:
    """Top-level messages of a channel, newest first, at most `limit`."""
    channel = get_channel(ws, a)
    limit = a.number("limit", 100) or 100
    top = [m for m in channel.messages if not m.deleted and m.thread_ts in (None, m.ts)]
    newest = list(reversed(top))
    return {
        "messages": [m.to_json() for m in newest[:limit]],
        "has_more": len(newest) > limit,
        "response_metadata": {"next_cursor": ""},
    }


@method("conversations.replies")
def replies(ws: Workspace, a: Args) -> JSON:
    """A thread: the parent message then its replies, oldest first."""
    channel = get_channel(ws, a)
    ts = a.required("ts", "thread_not_found")
    if channel.message(ts) is None:
        raise ApiError("thread_not_found")
    thread = [m for m in channel.messages if not m.deleted and (m.ts == ts or m.thread_ts == ts)]
    return {"messages": [m.to_json() for m in thread], "has_more": False}


@method("conversations.list")
def list_(ws: Workspace, a: Args) -> JSON:
    """Public channels, plus private ones the bot is in when types asks for them."""
    types = set(a.text("types", "public_channel").split(","))
    found = []
    for channel in ws.channels.values():
        if a.flag("exclude_archived") and channel.is_archived:
            continue
        if channel.is_private:
            if "private_channel" in types and ws.bot_user_id in channel.members:
                found.append(channel)
        elif "public_channel" in types:
            found.append(channel)
    return {
        "channels": [c.to_json() for c in found],
        "response_metadata": {"next_cursor": ""},
    }
