"""Stable keys for Slack deliveries, so a retry or double submit is applied once."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:40]


def delivery_key(body: dict[str, Any]) -> str | None:
    """A key that is the same for every delivery of one user action, or None if unkeyable.

    Events: Slack's `event_id` (retries, HTTP or Socket Mode, repeat it). Clicks: the user,
    the action and its `action_ts` (a retried click repeats them). Commands and shortcuts:
    the single-use `trigger_id`. Modal submissions are keyed by their handler once the form
    is valid, so a submission rejected for a field error can still be corrected and sent
    again.
    """
    if body.get("type") == "event_callback" and isinstance(body.get("event_id"), str):
        return f"event:{body['event_id']}"
    if body.get("type") == "block_actions":
        actions = body.get("actions") or [{}]
        first = actions[0] if isinstance(actions[0], dict) else {}
        user = (body.get("user") or {}).get("id")
        return "action:" + _digest(
            user, first.get("action_ts"), first.get("action_id"), first.get("block_id")
        )
    if body.get("type") in ("message_action", "shortcut") and body.get("trigger_id"):
        return f"shortcut:{body['trigger_id']}"
    if "command" in body and body.get("trigger_id"):
        return f"command:{body['trigger_id']}"
    return None


def view_key(view: dict[str, Any]) -> str:
    """A submitted modal: its view ID, the same for every submission of that modal.

    A form rejected for a field error is admitted only once valid, so it can be corrected;
    after that, submitting the same modal again (changed or not) is the same declaration.
    """
    return f"view:{view.get('id')}"
