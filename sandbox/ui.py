"""The page's JSON API under /sandbox/ui/: what a person does in the page becomes what Slack
would send the bot (a slash command, a click, a form submitted, an event), and the time
control moves the bot's clock. Bad input gets a 400 with one line; nothing here answers 5xx.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .context import SANDBOX, Sandbox
from .page_state import can_see, page_state
from .slack.models import JSON, Ephemeral, View
from .slack.payloads import (
    app_home_opened_event,
    block_actions_payload,
    message_action_payload,
    slash_command_form,
    subscribed_event_callback,
    view_submission_payload,
)
from .slack.server import QUIET

log = logging.getLogger(__name__)
MAX_ADVANCE_MINUTES = 7 * 24 * 60  # a week at a time
MENTION = re.compile(r"(?<![<\w])([@#])([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)


class Refused(Exception):
    """Bad input from the page: answered 400 with this one line."""


Route = Callable[[Sandbox, JSON], Awaitable[JSON]]


def _handler(route: Route) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        sandbox = request.app[SANDBOX]
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "error": "the body is not JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"ok": False, "error": "send a JSON object"}, status=400)
        try:
            answer = await route(sandbox, body)
        except Refused as refusal:
            return web.json_response({"ok": False, "error": str(refusal)}, status=400)
        except Exception as error:  # noqa: BLE001 - the page shows the reason, never a 5xx
            log.warning("sandbox: %s failed: %r", route.__name__, error)
            return web.json_response({"ok": False, "error": f"failed: {error}"}, status=400)
        return web.json_response({"ok": True, **answer})

    return handle


def _text(body: JSON, key: str, *, required: bool = True) -> str:
    value = body.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise Refused(f"`{key}` must be a non-empty string")
    return value


def escape_mentions(sandbox: Sandbox, text: str) -> str:
    """Typed text as Slack sends it: `&`, `<` and `>` escaped (`&amp;`, `&lt;`, `&gt;`), then
    `@bob` and `#incidents` as the client sends them when the command escapes them
    (`should_escape: true`) and in messages: `<@U_BOB|bob>`, `<#C0002|incidents>`."""
    ws = sandbox.workspace
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def escaped(match: re.Match[str]) -> str:
        sign, name = match.group(1), match.group(2)
        if sign == "@":
            user = next((u for u in ws.users.values() if u.name == name.lower()), None)
            return f"<@{user.id}|{user.name}>" if user else match.group(0)
        channel = ws.channel_by_name(name.lower())
        return f"<#{channel.id}|{channel.name}>" if channel else match.group(0)

    return MENTION.sub(escaped, text)


def _person(sandbox: Sandbox, body: JSON) -> str:
    user_id = _text(body, "user")
    user = sandbox.workspace.users.get(user_id)
    if user is None or user.is_bot or user.deleted:
        raise Refused(f"no person {user_id} in the sandbox workspace")
    return user_id


def _channel_for(sandbox: Sandbox, body: JSON, user_id: str) -> str:
    channel_id = _text(body, "channel")
    channel = sandbox.workspace.channels.get(channel_id)
    if channel is None or not can_see(channel, user_id):
        raise Refused(f"no channel {channel_id} that {user_id} can see")
    return channel_id


async def state(request: web.Request) -> web.Response:
    """GET /sandbox/ui/state?user=U…&channel=C…"""
    sandbox = request.app[SANDBOX]
    user_id = request.query.get("user", "")
    user = sandbox.workspace.users.get(user_id)
    if user is None or user.is_bot:
        return web.json_response({"ok": False, "error": f"no person {user_id!r}"}, status=400)
    return web.json_response(page_state(sandbox, user_id, request.query.get("channel")))


async def command(sandbox: Sandbox, body: JSON) -> JSON:
    """A slash command, or a plain message posted by the person."""
    user_id = _person(sandbox, body)
    channel_id = _channel_for(sandbox, body, user_id)
    text = escape_mentions(sandbox, _text(body, "text").strip())
    if not text.startswith("/"):
        return await _say(sandbox, user_id, channel_id, text)
    name, _, rest = text.partition(" ")
    if name != "/incident":
        raise Refused(f"{name} is not a command here: try /incident help")
    form = slash_command_form(
        sandbox.workspace, text=rest.strip(), user_id=user_id, channel_id=channel_id
    )
    answer = await sandbox.link.form(form)
    _show_ack(sandbox, user_id, channel_id, answer.body)
    return {"status": answer.status}


async def _say(sandbox: Sandbox, user_id: str, channel_id: str, text: str) -> JSON:
    ws = sandbox.workspace
    channel = ws.channels[channel_id]
    if user_id not in channel.members:
        channel.members.add(user_id)  # Slack joins a person to a public channel they post in
    message = ws.post_as(channel_id, user_id, text)
    event = {
        "type": "message",
        "channel": channel_id,
        "user": user_id,
        "text": text,
        "ts": message.ts,
        "channel_type": "group" if channel.is_private else "channel",
    }
    await _send_event(sandbox, event)
    return {"ts": message.ts}


async def _send_event(sandbox: Sandbox, event: JSON) -> None:
    """Deliver an event the way Slack would: only when the app subscribes to it."""
    try:
        callback = subscribed_event_callback(sandbox.workspace, event)
    except ValueError:
        return  # Slack would not deliver it to this app either
    await sandbox.link.event(callback)


def _show_ack(sandbox: Sandbox, user_id: str, channel_id: str | None, body: Any) -> None:
    """Slack shows the text of an immediate answer to the person only (ephemeral)."""
    if isinstance(body, str) and body.strip():
        text, blocks = body, []
    elif isinstance(body, dict) and (body.get("text") or body.get("blocks")):
        text, blocks = str(body.get("text") or ""), list(body.get("blocks") or [])
    else:
        return
    ws = sandbox.workspace
    ws.ephemerals.append(Ephemeral(channel_id, user_id, text, blocks, "response_url", ws.next_ts()))


async def action(sandbox: Sandbox, body: JSON) -> JSON:
    """A click, a choice in a select or a tick in a checkbox, in a message or a view."""
    user_id = _person(sandbox, body)
    act = body.get("action")
    if not isinstance(act, dict) or not isinstance(act.get("action_id"), str):
        raise Refused("`action` must be an object with an action_id")
    view_id = body.get("view_id")
    if view_id:
        view = _view(sandbox, str(view_id), user_id)
        payload = block_actions_payload(
            sandbox.workspace, user_id=user_id, actions=[act], view=_with_state(view, body)
        )
    else:
        channel_id = _channel_for(sandbox, body, user_id)
        ts = _text(body, "message_ts")
        ws = sandbox.workspace
        if ws.find_message(channel_id, ts) is None and ws.ephemeral(user_id, ts) is None:
            raise Refused(f"no message {ts} in {channel_id}")
        payload = block_actions_payload(
            sandbox.workspace, user_id=user_id, channel_id=channel_id, message_ts=ts, actions=[act]
        )
    answer = await sandbox.link.interaction(payload)
    return {"status": answer.status}


def _view(sandbox: Sandbox, view_id: str, user_id: str) -> View:
    view = sandbox.workspace.views.get(view_id)
    if view is None or view.user != user_id or view_id in sandbox.closed_views:
        raise Refused(f"no open view {view_id} for {user_id}")
    return view


def _with_state(view: View, body: JSON) -> JSON:
    values = body.get("values")
    return {**view.to_json(), "state": {"values": values if isinstance(values, dict) else {}}}


async def submit(sandbox: Sandbox, body: JSON) -> JSON:
    """A modal submitted: Slack's view_submission, then what its answer asks for."""
    user_id = _person(sandbox, body)
    view = _view(sandbox, _text(body, "view_id"), user_id)
    values = body.get("values")
    if not isinstance(values, dict):
        raise Refused("`values` must be the view's state values (an object)")
    payload = view_submission_payload(
        sandbox.workspace,
        user_id=user_id,
        callback_id=str(view.view.get("callback_id", "")),
        private_metadata=str(view.view.get("private_metadata", "")),
        values=values,
        view_id=view.id,
    )
    answer = await sandbox.link.interaction(payload)
    return _after_submit(sandbox, view, user_id, answer.json)


def _after_submit(sandbox: Sandbox, view: View, user_id: str, ack: JSON) -> JSON:
    kind = ack.get("response_action")
    if kind == "errors":
        given = ack.get("errors")
        errors: JSON = given if isinstance(given, dict) else {}
        sandbox.view_errors[view.id] = errors
        return {"closed": False, "errors": errors}
    sandbox.view_errors.pop(view.id, None)
    if kind == "update" and isinstance(ack.get("view"), dict):
        view.view, view.updates = ack["view"], view.updates + 1
        return {"closed": False}
    if kind == "push" and isinstance(ack.get("view"), dict):
        ws = sandbox.workspace
        pushed = View(ws.new_id("V"), ack["view"], view.hash, None, user_id)
        pushed.previous_view_id, pushed.root_view_id = view.id, view.root_view_id or view.id
        ws.views[pushed.id] = pushed
        return {"closed": False}
    if kind == "clear":
        for other in sandbox.workspace.views.values():
            if other.type == "modal" and other.user == user_id:
                sandbox.closed_views.add(other.id)
    sandbox.closed_views.add(view.id)
    return {"closed": True}


async def close(sandbox: Sandbox, body: JSON) -> JSON:
    """The person closed a modal (Cancel or ✕)."""
    user_id = _person(sandbox, body)
    view = _view(sandbox, _text(body, "view_id"), user_id)
    sandbox.closed_views.add(view.id)
    sandbox.view_errors.pop(view.id, None)
    if view.view.get("notify_on_close"):
        payload = view_submission_payload(
            sandbox.workspace,
            user_id=user_id,
            callback_id=str(view.view.get("callback_id", "")),
            private_metadata=str(view.view.get("private_metadata", "")),
            values={},
            view_id=view.id,
        )
        payload["type"], payload["is_cleared"] = "view_closed", False
        await sandbox.link.interaction(payload)
    return {}


async def advance(sandbox: Sandbox, body: JSON) -> JSON:
    """The time control: move the bot's clock forward; due reminders fire at the next poll."""
    minutes = body.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise Refused("`minutes` must be a number")
    if not 0 < minutes <= MAX_ADVANCE_MINUTES:
        raise Refused(f"`minutes` must be between 0 and {MAX_ADVANCE_MINUTES} (a week)")
    now = sandbox.clock.advance(minutes * 60)
    return {"now": now.isoformat()}


async def react(sandbox: Sandbox, body: JSON) -> JSON:
    """The person adds an emoji reaction (📌 is `pushpin`)."""
    user_id = _person(sandbox, body)
    channel_id = _channel_for(sandbox, body, user_id)
    ts, name = _text(body, "ts"), _text(body, "name")
    if sandbox.workspace.find_message(channel_id, ts) is None:
        raise Refused(f"no message {ts} in {channel_id}")
    await _send_event(sandbox, sandbox.workspace.react(channel_id, ts, user_id, name))
    return {}


async def home(sandbox: Sandbox, body: JSON) -> JSON:
    """The person opened the app's Home tab."""
    user_id = _person(sandbox, body)
    await _send_event(sandbox, app_home_opened_event(user_id))
    return {}


async def shortcut(sandbox: Sandbox, body: JSON) -> JSON:
    """A message shortcut used on a message."""
    user_id = _person(sandbox, body)
    channel_id = _channel_for(sandbox, body, user_id)
    ts, callback_id = _text(body, "ts"), _text(body, "callback_id")
    try:
        payload = message_action_payload(
            sandbox.workspace,
            user_id=user_id,
            callback_id=callback_id,
            channel_id=channel_id,
            message_ts=ts,
        )
    except (KeyError, ValueError) as error:
        raise Refused(str(error).strip("'\"")) from None
    answer = await sandbox.link.interaction(payload)
    _show_ack(sandbox, user_id, channel_id, answer.body)
    return {"status": answer.status}


async def dismiss(sandbox: Sandbox, body: JSON) -> JSON:
    """Hide one of the person's ephemeral messages."""
    _person(sandbox, body)
    sandbox.dismissed.add(_text(body, "ts"))
    return {}


def ui_routes() -> list[web.RouteDef]:
    """The page's API, relative to where the sandbox is mounted."""
    posts: list[Route] = [command, action, submit, close, advance, react, home, shortcut, dismiss]
    return [
        web.get("/ui/state", state, name=f"{QUIET}state"),
        *(web.post(f"/ui/{route.__name__}", _handler(route)) for route in posts),
    ]
