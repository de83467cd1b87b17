"""conversations.* Web API methods that read: info, members, history, replies and list.

A bot reads only conversations it is a member of: Slack answers not_in_channel for a public
channel and channel_not_found for a private one (conversations.history documents
not_in_channel: "Only user tokens can access public channels they are not in").
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from .models import JSON, Channel, Message
from .registry import ApiError, Args, get_channel, method, require_reader
from .scopes import HISTORY, READ, per_listed_type
from .state import Workspace

T = TypeVar("T")

HISTORY_LIMIT, HISTORY_MAX = 100, 999  # documented default and maximum of `limit`
LIST_LIMIT, LIST_MAX = 100, 1000


def encode_cursor(value: str) -> str:
    """An opaque cursor (base64, like Slack's "next_ts:..." / "team:..." cursors)."""
    return base64.b64encode(f"next:{value}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    """The value inside a cursor from encode_cursor, else ApiError("invalid_cursor")."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError("invalid_cursor") from None
    if not text.startswith("next:"):
        raise ApiError("invalid_cursor")
    return text.removeprefix("next:")


def paginate(
    a: Args, items: Sequence[T], key: Callable[[T], str], default: int, maximum: int
) -> tuple[list[T], JSON]:
    """One page of `items` from `cursor` (the key of its first item), and the paging fields."""
    limit = a.number("limit", default)
    limit = min(limit if limit > 0 else default, maximum)
    start = 0
    if "cursor" in a:
        wanted = decode_cursor(a.text("cursor"))
        start = next((i for i, item in enumerate(items) if key(item) == wanted), -1)
        if start < 0:
            raise ApiError("invalid_cursor")
    page = list(items[start : start + limit])
    rest = items[start + limit :]
    next_cursor = encode_cursor(key(rest[0])) if rest else ""
    return page, {"has_more": bool(rest), "response_metadata": {"next_cursor": next_cursor}}


def _ts(a: Args, key: str) -> Decimal | None:
    if key not in a:
        return None
    try:
        return Decimal(a.text(key))
    except InvalidOperation:
        raise ApiError(f"invalid_ts_{key}") from None


def _in_range(a: Args) -> Callable[[Message], bool]:
    """Filter for `oldest` < ts < `latest` (bounds included when `inclusive`)."""
    oldest, latest, inclusive = _ts(a, "oldest"), _ts(a, "latest"), a.flag("inclusive")

    def keep(msg: Message) -> bool:
        ts = Decimal(msg.ts)
        if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
            return False
        return latest is None or ts < latest or (ts == latest and inclusive)

    return keep


def _messages(a: Args, messages: list[Message]) -> JSON:
    """A page of messages as JSON; `metadata` only with include_all_metadata=true."""
    page, paging = paginate(a, messages, lambda m: m.ts, HISTORY_LIMIT, HISTORY_MAX)
    with_metadata = a.flag("include_all_metadata")
    return {"messages": [m.to_json(with_metadata=with_metadata) for m in page], **paging}


def _readable(ws: Workspace, a: Args) -> Channel:
    channel = get_channel(ws, a)
    require_reader(ws, channel)
    return channel


@method("conversations.info", scopes=READ)
def info(ws: Workspace, a: Args) -> JSON:
    """Describe a channel (a private one only to its members)."""
    channel = get_channel(ws, a)
    if channel.is_private:
        require_reader(ws, channel)
    return {"channel": channel.to_json()}


@method("conversations.members", scopes=READ)
def members(ws: Workspace, a: Args) -> JSON:
    """List a channel's member ids (sorted, single page; private only to members)."""
    channel = get_channel(ws, a)
    if channel.is_private:
        require_reader(ws, channel)
    return {"members": sorted(channel.members), "response_metadata": {"next_cursor": ""}}


@method("conversations.history", scopes=HISTORY)
def history(ws: Workspace, a: Args) -> JSON:
    """Top-level messages of a channel the bot is in, newest first, paginated by cursor."""
    channel = _readable(ws, a)
    keep = _in_range(a)
    top = [m for m in channel.messages if not m.deleted and m.thread_ts in (None, m.ts)]
    return _messages(a, [m for m in reversed(top) if keep(m)])


@method("conversations.replies", scopes=HISTORY)
def replies(ws: Workspace, a: Args) -> JSON:
    """A thread: the parent message then its replies, oldest first, paginated by cursor."""
    channel = _readable(ws, a)
    ts = a.required("ts", "thread_not_found")
    if channel.message(ts) is None:
        raise ApiError("thread_not_found")
    keep = _in_range(a)
    thread = [m for m in channel.messages if not m.deleted and (m.ts == ts or m.thread_ts == ts)]
    return _messages(a, [m for m in thread if m.ts == ts or keep(m)])


@method(
    "conversations.list",
    scopes=per_listed_type(
        {"public_channel": ("channels:read",), "private_channel": ("groups:read",)}
    ),
)
def list_(ws: Workspace, a: Args) -> JSON:
    """Public channels, plus private ones the bot is in when types asks; paginated by cursor."""
    types = {t.strip() for t in a.text("types", "public_channel").split(",")}
    found = []
    for channel in ws.channels.values():
        if a.flag("exclude_archived") and channel.is_archived:
            continue
        if channel.is_private:
            if "private_channel" in types and ws.bot_user_id in channel.members:
                found.append(channel)
        elif "public_channel" in types:
            found.append(channel)
    page, paging = paginate(a, found, lambda c: c.id, LIST_LIMIT, LIST_MAX)
    return {
        "channels": [c.to_json() for c in page],
        "response_metadata": paging["response_metadata"],
    }
