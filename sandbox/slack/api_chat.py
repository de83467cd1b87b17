"""chat.*, pins.*, reactions.* and bookmarks.* Web API methods."""

from __future__ import annotations

import logging
import time
from typing import Any

from .models import JSON, Bookmark, Channel, Ephemeral, Message
from .registry import ApiError, Args, get_channel, get_user, method, require_live
from .scopes import CHAT_WRITE, fixed
from .state import Workspace
from .validation import MAX_TEXT, block_errors, metadata_error, metadata_kept

log = logging.getLogger(__name__)

ABSENT = object()  # `metadata` not sent: keep what the message has
DROPPED = object()  # sent, but Slack silently ignores it (see validation.EVENT_TYPE_RE)


def _blocks(a: Args) -> list[JSON] | None:
    """The `blocks` argument validated, or None when it was not sent."""
    if "blocks" not in a.data or a.data["blocks"] is None:
        return None
    blocks: Any = a.json("blocks", "invalid_blocks_format")
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    errors = block_errors(blocks)
    if errors:
        raise ApiError("invalid_blocks", errors=errors, response_metadata={"messages": errors})
    return blocks


def _content(a: Args) -> tuple[str | None, list[JSON] | None, list[JSON] | None]:
    """(text, blocks, attachments) as sent; raises no_text / msg_too_long / invalid_blocks."""
    text = a.text("text") if "text" in a else None
    blocks = _blocks(a)
    attachments = a.json("attachments", "invalid_attachments")
    if not text and not blocks and not attachments:
        raise ApiError("no_text")
    if text is not None and len(text) > MAX_TEXT:
        raise ApiError("msg_too_long")
    return text, blocks, attachments if isinstance(attachments, list) else None


def _metadata(a: Args) -> Any:
    """The `metadata` argument: ABSENT, DROPPED, None (`{}`: clear it) or the object to store."""
    if a.data.get("metadata") in (None, ""):
        return ABSENT
    metadata = a.json("metadata", "invalid_metadata_format")
    error = metadata_error(metadata)
    if error:
        raise ApiError(error)
    if not metadata:
        return None
    if not metadata_kept(metadata):
        log.warning("fake Slack drops metadata with event_type %r", metadata.get("event_type"))
        return DROPPED
    return metadata


def _writable(ws: Workspace, channel: Channel) -> None:
    """A non-member bot may post only to public channels, and only with chat:write.public.

    (For chat.postEphemeral the chat:write.public rule is unconfirmed.)
    """
    require_live(channel)
    if ws.bot_user_id in channel.members:
        return
    if channel.is_private or "chat:write.public" not in ws.scopes:
        raise ApiError("not_in_channel")


def _message(channel: Channel, a: Args, key: str = "ts") -> Message:
    msg = channel.message(a.text(key))
    if msg is None:
        raise ApiError("message_not_found")
    return msg


@method("chat.postMessage", scopes=CHAT_WRITE)
def post_message(ws: Workspace, a: Args) -> JSON:
    """Post a message to a channel given by id or name (with optional metadata)."""
    channel = get_channel(ws, a, by_name=True)
    _writable(ws, channel)
    text, blocks, attachments = _content(a)
    metadata = _metadata(a)
    msg = ws.post_message(
        channel,
        ws.bot_user_id,
        text or "",
        blocks or [],
        thread_ts=a.text("thread_ts") or None,
        metadata=None if metadata is ABSENT or metadata is DROPPED else metadata,
        attachments=attachments or [],
    )
    return {"channel": channel.id, "ts": msg.ts, "message": msg.to_json()}


@method("chat.update", scopes=CHAT_WRITE)
def update(ws: Workspace, a: Args) -> JSON:
    """Edit a bot message; omitted text/blocks/metadata are kept, `metadata={}` clears it."""
    channel = get_channel(ws, a)
    msg = _message(channel, a)
    if msg.user != ws.bot_user_id:
        raise ApiError("cant_update_message")
    require_live(channel)
    text, blocks, attachments = _content(a)
    metadata = _metadata(a)
    if metadata is not ABSENT and metadata is not DROPPED:
        msg.metadata = metadata
    if text is not None:
        msg.text = text
    if blocks is not None:
        msg.blocks = blocks
    if attachments is not None:
        msg.attachments = attachments
    msg.edits += 1
    return {"channel": channel.id, "ts": msg.ts, "text": msg.text, "message": msg.to_json()}


@method("chat.delete", scopes=CHAT_WRITE)
def delete(ws: Workspace, a: Args) -> JSON:
    """Delete a bot message (and its pin)."""
    channel = get_channel(ws, a)
    msg = _message(channel, a)
    if msg.user != ws.bot_user_id:
        raise ApiError("cant_delete_message")
    msg.deleted = True
    if msg.ts in channel.pins:
        channel.pins.remove(msg.ts)
    return {"channel": channel.id, "ts": msg.ts}


@method("chat.postEphemeral", scopes=CHAT_WRITE)
def post_ephemeral(ws: Workspace, a: Args) -> JSON:
    """Show a message to one member of a channel."""
    channel = get_channel(ws, a)
    _writable(ws, channel)
    user = get_user(ws, a.required("user", "user_not_found"))
    if user.id not in channel.members:
        raise ApiError("user_not_in_channel")
    text, blocks, _ = _content(a)
    eph = Ephemeral(
        channel.id,
        user.id,
        text or "",
        blocks or [],
        "chat.postEphemeral",
        ts=ws.next_ts(),
        thread_ts=a.text("thread_ts") or None,
    )
    ws.ephemerals.append(eph)
    return {"message_ts": eph.ts}


@method("chat.getPermalink")
def get_permalink(ws: Workspace, a: Args) -> JSON:
    """Permalink of a message."""
    channel = get_channel(ws, a)
    msg = _message(channel, a, "message_ts")
    return {"channel": channel.id, "permalink": ws.permalink(channel.id, msg.ts)}


@method("pins.add", scopes=fixed("pins:write"))
def pins_add(ws: Workspace, a: Args) -> JSON:
    """Pin a message."""
    channel = get_channel(ws, a)
    msg = _message(channel, a, "timestamp")
    if msg.ts in channel.pins:
        raise ApiError("already_pinned")
    channel.pins.append(msg.ts)
    return {}


@method("pins.remove", scopes=fixed("pins:write"))
def pins_remove(ws: Workspace, a: Args) -> JSON:
    """Unpin a message."""
    channel = get_channel(ws, a)
    msg = _message(channel, a, "timestamp")
    if msg.ts not in channel.pins:
        raise ApiError("no_pin")
    channel.pins.remove(msg.ts)
    return {}


@method("pins.list", scopes=fixed("pins:read"))
def pins_list(ws: Workspace, a: Args) -> JSON:
    """Pinned messages of a channel, in pin order."""
    channel = get_channel(ws, a)
    items = []
    for ts in channel.pins:
        msg = channel.message(ts)
        if msg is not None:
            items.append({"type": "message", "channel": channel.id, "message": msg.to_json()})
    return {"items": items}


@method("reactions.add", scopes=fixed("reactions:write"))
def reactions_add(ws: Workspace, a: Args) -> JSON:
    """Add the bot's emoji reaction to a message."""
    channel = get_channel(ws, a)
    msg = _message(channel, a, "timestamp")
    name = a.required("name", "invalid_name").strip(":")
    users = msg.reactions.setdefault(name, [])
    if ws.bot_user_id in users:
        raise ApiError("already_reacted")
    users.append(ws.bot_user_id)
    return {}


@method("bookmarks.add", scopes=fixed("bookmarks:write"))
def bookmarks_add(ws: Workspace, a: Args) -> JSON:
    """Add a link bookmark to a channel."""
    channel = get_channel(ws, a, "channel_id")
    require_live(channel)
    title = a.required("title")
    kind = a.required("type")
    link = a.text("link")
    if kind == "link" and not link:
        raise ApiError("invalid_link")
    bookmark = Bookmark(
        ws.new_id("Bk"), channel.id, title, link, kind, a.text("emoji"), int(time.time())
    )
    channel.bookmarks.append(bookmark)
    return {"bookmark": bookmark.to_json()}
