"""conversations.* Web API methods that change channels (reads are in api_reading)."""

from __future__ import annotations

from .models import JSON, Channel, User
from .registry import (
    ApiError,
    Args,
    get_channel,
    get_user,
    method,
    require_live,
    require_member,
)
from .scopes import INVITE, MANAGE, TOPIC, fixed, per_private_flag
from .state import Workspace
from .validation import MAX_TOPIC, channel_name_error


def _is_general(channel: Channel) -> bool:
    return channel.name == "general"


@method("conversations.create", scopes=per_private_flag(("channels:manage",), ("groups:write",)))
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


def _invite_error(ws: Workspace, user: User | None) -> str | None:
    """Why this user cannot be invited (None: they can).

    Unconfirmed codes: Slack documents no specific error for a deactivated user or for another
    bot/app user; both answer the documented `cant_invite` ("User cannot be invited to this
    channel"). Slack's 2021 OpenAPI spec also lists an undocumented `user_is_bot` here.
    """
    if user is None:
        return "user_not_found"
    if user.id == ws.bot_user_id:
        return "cant_invite_self"
    if user.deleted or user.is_bot:
        return "cant_invite"
    return None


@method("conversations.invite", scopes=INVITE)
def invite(ws: Workspace, a: Args) -> JSON:
    """Invite users (comma-separated ids) to a channel the bot is in.

    Failures carry Slack's per-user `errors` list. As documented, users in a "removed"
    (deactivated) state fail while the others are still invited; any other failure invites
    nobody.
    """
    channel = get_channel(ws, a)
    require_live(channel)
    require_member(ws, channel)
    user_ids = [u.strip() for u in a.required("users", "no_user").split(",") if u.strip()]
    if not user_ids:
        raise ApiError("no_user")
    failed = {u: e for u in user_ids if (e := _invite_error(ws, ws.users.get(u)))}
    new = [u for u in user_ids if u not in channel.members and u not in failed]
    if failed:
        if all(failed[u] == "cant_invite" and ws.users[u].deleted for u in failed):
            channel.members.update(new)  # only removed users failed: the rest are invited
        errors = [{"user": u, "ok": False, "error": e} for u, e in failed.items()]
        raise ApiError(next(iter(failed.values())), errors=errors)
    if not new:
        raise ApiError("already_in_channel")
    channel.members.update(new)
    return {"channel": channel.to_json()}


@method("conversations.kick", scopes=MANAGE)
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


@method("conversations.join", scopes=fixed("channels:join"))
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


@method("conversations.leave", scopes=MANAGE)
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


@method("conversations.archive", scopes=MANAGE)
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


@method("conversations.unarchive", scopes=MANAGE)
def unarchive(ws: Workspace, a: Args) -> JSON:
    """Unarchive a channel."""
    channel = get_channel(ws, a)
    if not channel.is_archived:
        raise ApiError("not_archived")
    channel.is_archived = False
    return {}


@method("conversations.setTopic", scopes=TOPIC)
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


@method("conversations.setPurpose", scopes=TOPIC)
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
