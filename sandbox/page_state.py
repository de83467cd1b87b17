"""What the page shows one person: the workspace as Slack would show it to them (the channels
they can see, the open channel's messages and pins, their ephemerals, modal and App Home)."""

from __future__ import annotations

from .context import Sandbox
from .slack.models import JSON, Channel, Message, User, View
from .slack.scopes import manifest_shortcut_list


def person(user: User) -> JSON:
    """A user as the page names them."""
    return {"id": user.id, "name": user.name, "real_name": user.real_name or user.name}


def people(sandbox: Sandbox) -> list[User]:
    """The workspace's people (no bots, no deactivated accounts), in a stable order."""
    return [u for u in sandbox.workspace.users.values() if not u.is_bot and not u.deleted]


def can_see(channel: Channel, user_id: str) -> bool:
    """Public channels are seen by everyone; private ones by their members only."""
    return not channel.is_private or user_id in channel.members


def _channel(channel: Channel, user_id: str) -> JSON:
    return {
        "id": channel.id,
        "name": channel.name,
        "topic": channel.topic,
        "purpose": channel.purpose,
        "is_private": channel.is_private,
        "is_archived": channel.is_archived,
        "is_member": user_id in channel.members,
    }


def _message(sandbox: Sandbox, channel: Channel, message: Message) -> JSON:
    author = sandbox.workspace.users.get(message.user)
    out: JSON = message.to_json(with_metadata=False)
    out.update(
        user_name=(author.real_name or author.name) if author else message.user,
        thread_ts=message.thread_ts,
        edited=message.edits > 0,
        pinned=message.ts in channel.pins,
        reactions=out.get("reactions", []),
        blocks=message.blocks,
        files=message.files,
        attachments=message.attachments,
    )
    return out


def open_modal(sandbox: Sandbox, user_id: str) -> View | None:
    """The person's topmost modal still open (the last one opened or pushed)."""
    modals = [
        view
        for view in sandbox.workspace.views.values()
        if view.type == "modal" and view.user == user_id and view.id not in sandbox.closed_views
    ]
    return modals[-1] if modals else None


def _home(view: View | None) -> JSON | None:
    """The App Home view with its id, which the page's clicks on it name."""
    return None if view is None else {**view.view, "id": view.id}


def page_state(sandbox: Sandbox, user_id: str, channel_id: str | None) -> JSON:
    """Everything the page draws for `user_id`, with `channel_id` open (see the contract in
    sandbox/README.md)."""
    ws = sandbox.workspace
    now = sandbox.clock()
    channels = sorted(
        (c for c in ws.channels.values() if can_see(c, user_id)), key=lambda c: c.name
    )
    state: JSON = {
        "now": now.isoformat(),
        "offset_seconds": int(sandbox.clock.offset.total_seconds()),
        "version": ws.revision,
        "me": user_id,
        "users": [person(u) for u in people(sandbox)],
        "bot": person(ws.users[ws.bot_user_id]),
        "channels": [_channel(c, user_id) for c in channels],
        "channel": None,
        "messages": [],
        "ephemerals": [],
        "modal": None,
        "home": _home(ws.home_view(user_id)),
        "shortcuts": manifest_shortcut_list(),
    }
    channel = ws.channels.get(channel_id or "")
    if channel is not None and can_see(channel, user_id):
        state["channel"] = {
            **_channel(channel, user_id),
            "pins": list(channel.pins),
            "bookmarks": [{"title": b.title, "link": b.link} for b in channel.bookmarks],
        }
        live = [m for m in channel.messages if not m.deleted]
        state["messages"] = [_message(sandbox, channel, m) for m in live]
    state["ephemerals"] = [
        {"ts": e.ts, "channel": e.channel, "text": e.text, "blocks": e.blocks}
        for e in ws.ephemerals
        if e.user == user_id
        and e.ts not in sandbox.dismissed
        and (e.channel is None or channel is None or e.channel == channel.id)
    ]
    modal = open_modal(sandbox, user_id)
    if modal is not None:
        state["modal"] = {
            "id": modal.id,
            "view": modal.view,
            "errors": sandbox.view_errors.get(modal.id, {}),
        }
    return state
