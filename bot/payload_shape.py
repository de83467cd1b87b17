"""Cheap structural checks on Slack request bodies, so odd shapes get a 400, not a crash."""

from __future__ import annotations

from typing import Any


def _is_obj(value: Any) -> bool:
    return isinstance(value, dict)


def _objs(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _str_fields(body: dict[str, Any], *names: str) -> str | None:
    for name in names:
        if not isinstance(body.get(name), str):
            return f"`{name}` must be a string"
    return None


def shape_problem(body: Any) -> str | None:
    """What is structurally wrong with a parsed request body, or None if it looks like Slack's."""
    if not _is_obj(body):
        return "body is not an object"
    if "command" in body:
        return _str_fields(body, "command", "user_id", "channel_id", "text")
    kind = body.get("type")
    if kind is None:
        return "no `type`, `command` or `payload`"
    if not isinstance(kind, str):
        return "`type` must be a string"
    if kind in {
        "block_actions",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "block_suggestion",
    }:
        user = body.get("user")
        if not _is_obj(user) or not isinstance(user.get("id"), str):
            return "`user.id` is missing"
    if kind == "block_actions" and not _objs(body.get("actions")):
        return "`actions` must be a list of objects"
    if kind in {"view_submission", "view_closed"}:
        view = body.get("view")
        if not _is_obj(view) or not isinstance(view.get("callback_id", ""), str):
            return "`view` must be an object"
        state = view.get("state", {})
        if not _is_obj(state) or not _is_obj(state.get("values", {})):
            return "`view.state.values` must be an object"
    if kind == "event_callback" and not _is_obj(body.get("event")):
        return "`event` must be an object"
    return None


# Slack's payload `type` → the request kind metrics and logs name (a bounded set).
REQUEST_KINDS = {
    "block_actions": "action",
    "interactive_message": "action",
    "message_action": "shortcut",
    "shortcut": "shortcut",
    "view_submission": "view_submission",
    "view_closed": "view_closed",
    "block_suggestion": "options",
    "dialog_suggestion": "options",
    "event_callback": "event",
    "url_verification": "url_verification",
}


def request_kind(body: Any) -> str:
    """command, action, shortcut, view_submission, view_closed, options, event,
    url_verification, or other: what kind of Slack request a parsed body is."""
    if not _is_obj(body):
        return "other"
    if "command" in body:
        return "command"
    return REQUEST_KINDS.get(str(body.get("type")), "other")
