"""Request signing and Slack payload builders for tests that drive the bot's endpoints."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Any

from .models import JSON
from .scopes import (
    event_refusal,
    manifest_home_tab,
    require_subscribed,
    shortcut_refusal,
    subscription,
)
from .state import Workspace


def sign_request(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack signature headers for a raw request body (v0 HMAC-SHA256)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    basestring = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def _user(fake: Workspace, user_id: str) -> JSON:
    user = fake.users.get(user_id)
    name = user.name if user else user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": fake.team_id}


def _team(fake: Workspace) -> JSON:
    return {"id": fake.team_id, "domain": fake.team_domain}


def _action_ts() -> str:
    return f"{time.time():.6f}"


def slash_command_form(
    fake: Workspace,
    *,
    text: str,
    user_id: str = "U_ALICE",
    channel_id: str,
    command: str = "/incident",
    channel_name: str | None = None,
) -> dict[str, str]:
    """Form fields of a slash command, with a fresh trigger_id and a bound response_url."""
    channel = fake.channels.get(channel_id)
    user = fake.users.get(user_id)
    return {
        "token": fake.verification_token,
        "team_id": fake.team_id,
        "team_domain": fake.team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name or (channel.name if channel else "unknown"),
        "user_id": user_id,
        "user_name": user.name if user else user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": fake.app_id,
        "is_enterprise_install": "false",
        "response_url": fake.new_response_url(channel_id, user_id),
        "trigger_id": fake.new_trigger_id(user_id),
    }


def block_actions_payload(
    fake: Workspace,
    *,
    user_id: str,
    channel_id: str | None = None,
    message_ts: str | None = None,
    actions: list[JSON],
    message_blocks: list[JSON] | None = None,
    view: JSON | None = None,
) -> JSON:
    """A `block_actions` payload from a message (or from `view` when given)."""
    filled = [{"type": "button", "action_ts": _action_ts(), **a} for a in actions]
    payload: JSON = {
        "type": "block_actions",
        "user": _user(fake, user_id),
        "api_app_id": fake.app_id,
        "token": fake.verification_token,
        "team": _team(fake),
        "enterprise": None,
        "is_enterprise_install": False,
        "trigger_id": fake.new_trigger_id(user_id),
        "actions": filled,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "")}
        payload["view"] = view
        return payload
    original = fake.find_message(channel_id, message_ts)
    ephemeral = original is None and fake.ephemeral(user_id, message_ts) is not None
    message: JSON = original.to_json() if original else {"type": "message", "ts": message_ts}
    if message_blocks is not None:
        message["blocks"] = message_blocks
    channel = fake.channels.get(channel_id or "")
    payload.update(
        container={
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": ephemeral,
        },
        channel={"id": channel_id, "name": channel.name if channel else "unknown"},
        state={"values": {}},
        response_url=fake.new_response_url(channel_id, user_id, message_ts),
    )
    if not ephemeral:  # Slack sends no `message` for a click in an ephemeral one
        payload["message"] = message
    return payload


def view_submission_payload(
    fake: Workspace,
    *,
    user_id: str,
    callback_id: str,
    values: dict[str, Any],
    private_metadata: str = "",
    view_id: str | None = None,
) -> JSON:
    """A `view_submission` payload; `values` is the view.state.values dict."""
    stored = fake.views.get(view_id) if view_id else None
    base: JSON = stored.to_json() if stored else {"type": "modal", "blocks": []}
    vid = view_id or fake.new_id("V")
    view = {
        **base,
        "id": vid,
        "team_id": fake.team_id,
        "app_id": fake.app_id,
        "bot_id": fake.bot_id,
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "state": {"values": values},
        "hash": base.get("hash", f"{int(time.time())}.fakehash"),
        "root_view_id": base.get("root_view_id", vid),
        "previous_view_id": base.get("previous_view_id"),
    }
    return {
        "type": "view_submission",
        "team": _team(fake),
        "user": _user(fake, user_id),
        "api_app_id": fake.app_id,
        "token": fake.verification_token,
        "trigger_id": fake.new_trigger_id(user_id),
        "view": view,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def event_callback(fake: Workspace, event: JSON, *, event_id: str | None = None) -> JSON:
    """An Events API `event_callback` body wrapping `event` (one the app subscribes to)."""
    require_subscribed(fake, event)
    now = int(time.time())
    return {
        "token": fake.verification_token,
        "team_id": fake.team_id,
        "api_app_id": fake.app_id,
        "event": {"event_ts": f"{now}.000100", **event},
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": fake.team_id,
                "user_id": fake.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-fake-{uuid.uuid4().hex[:12]}",
    }


def message_action_payload(
    fake: Workspace, *, user_id: str, callback_id: str, channel_id: str, message_ts: str
) -> JSON:
    """A message shortcut (`message_action`) used on a message; refused (ValueError) when the
    manifest does not declare that shortcut, since Slack would not offer it."""
    refusal = shortcut_refusal(fake, callback_id, "message")
    if refusal:
        raise ValueError(refusal)
    original = fake.find_message(channel_id, message_ts)
    if original is None:
        raise KeyError(f"no message {message_ts} in {channel_id}")
    channel = fake.channels[channel_id]
    return {
        "type": "message_action",
        "token": fake.verification_token,
        "action_ts": _action_ts(),
        "team": _team(fake),
        "user": _user(fake, user_id),
        "channel": {"id": channel_id, "name": channel.name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": fake.new_trigger_id(user_id),
        "response_url": fake.new_response_url(channel_id, user_id),
        "message_ts": message_ts,
        "message": original.to_json(with_metadata=False),
    }


def subscribed_event_callback(fake: Workspace, event: JSON, **kw: Any) -> JSON:
    """`event_callback`, refused (ValueError) when Slack would not deliver the event: the
    manifest does not subscribe to it, or its scope is not granted."""
    refusal = event_refusal(fake, subscription(fake, event))
    if refusal:
        raise ValueError(refusal)
    return event_callback(fake, event, **kw)


def app_home_opened_event(user_id: str, *, tab: str = "home") -> JSON:
    """The `app_home_opened` event of a user opening the app's Home (or Messages) tab;
    refused (ValueError) for the Home tab when the manifest does not enable it, since Slack
    would not show one."""
    if tab == "home" and not manifest_home_tab():
        raise ValueError("manifest.yml does not enable the Home tab (features.app_home)")
    return {"type": "app_home_opened", "user": user_id, "channel": f"D{user_id[1:]}", "tab": tab}
