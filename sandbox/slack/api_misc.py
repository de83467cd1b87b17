"""auth.*, users.*, views.* and apps.* Web API methods."""

from __future__ import annotations

import time
import uuid
from typing import Any

from .models import JSON, PERMALINK_HOST, View
from .registry import ApiError, Args, get_user, method
from .scopes import fixed
from .state import Workspace
from .validation import view_problem


@method("auth.test")
def auth_test(ws: Workspace, a: Args) -> JSON:
    """Identify the bot."""
    return {
        "url": f"{PERMALINK_HOST}/",
        "team": "Fake Workspace",
        "user": ws.users[ws.bot_user_id].name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


@method("users.info", scopes=fixed("users:read"))
def users_info(ws: Workspace, a: Args) -> JSON:
    """Describe a user; a deactivated one is still found, with `"deleted": true`."""
    user = get_user(ws, a.required("user", "user_not_found"), deleted_ok=True)
    return {"user": user.to_json()}


@method("users.lookupByEmail", scopes=fixed("users:read.email"))
def users_lookup_by_email(ws: Workspace, a: Args) -> JSON:
    """Find a user by email."""
    email = a.required("email", "users_not_found").lower()
    for user in ws.users.values():
        if user.email and user.email.lower() == email and not user.deleted:
            return {"user": user.to_json()}
    raise ApiError("users_not_found")


@method("users.list", scopes=fixed("users:read"))
def users_list(ws: Workspace, a: Args) -> JSON:
    """All users (single page)."""
    members = [u.to_json() for u in ws.users.values()]
    return {"members": members, "response_metadata": {"next_cursor": ""}}


@method("apps.connections.open", token="app")
def connections_open(ws: Workspace, a: Args) -> JSON:
    """Issue a Socket Mode WebSocket URL on this server."""
    ticket = uuid.uuid4().hex
    ws.tickets.add(ticket)
    ws_base = ws.base_url.replace("http://", "ws://", 1)
    return {"url": f"{ws_base}/socket?ticket={ticket}"}


def _view_arg(a: Args, allowed: tuple[str, ...]) -> JSON:
    """The `view` argument decoded and validated."""
    view: Any = a.json("view", "invalid_arguments")
    problem = view_problem(view, allowed)
    if problem is not None:
        error, messages = problem
        raise ApiError(error, response_metadata={"messages": messages})
    return view


def _new_hash() -> str:
    return f"{int(time.time())}.{uuid.uuid4().hex[:8]}"


def _check_external_id(ws: Workspace, view: JSON, current: View | None = None) -> str | None:
    external_id = view.get("external_id") or None
    for other in ws.views.values():
        if external_id and other.external_id == external_id and other is not current:
            raise ApiError("duplicate_external_id")
    return external_id


def _latest_modal(ws: Workspace, user: str | None) -> View | None:
    modals = [v for v in ws.views.values() if v.type == "modal" and user and v.user == user]
    return modals[-1] if modals else None


def _store(ws: Workspace, view: JSON, trigger_id: str | None, user: str | None) -> View:
    stored = View(ws.new_id("V"), view, _new_hash(), trigger_id, user)
    stored.external_id = _check_external_id(ws, view)
    ws.views[stored.id] = stored
    return stored


@method("views.open")
def views_open(ws: Workspace, a: Args) -> JSON:
    """Open a modal with a single-use trigger_id."""
    view = _view_arg(a, ("modal",))
    error, trigger = ws.use_trigger(a.data.get("trigger_id"))
    if trigger is None:
        raise ApiError(error or "invalid_arguments")
    return {"view": _store(ws, view, trigger.id, trigger.user).to_json()}


@method("views.push")
def views_push(ws: Workspace, a: Args) -> JSON:
    """Push a modal on top of the user's current one."""
    view = _view_arg(a, ("modal",))
    error, trigger = ws.use_trigger(a.data.get("trigger_id"))
    if trigger is None:
        raise ApiError(error or "invalid_arguments")
    below = _latest_modal(ws, trigger.user)
    stored = _store(ws, view, trigger.id, trigger.user)
    if below is not None:
        stored.previous_view_id = below.id
        stored.root_view_id = below.root_view_id or below.id
    return {"view": stored.to_json()}


@method("views.update")
def views_update(ws: Workspace, a: Args) -> JSON:
    """Replace a view by view_id or external_id (optionally guarded by hash)."""
    view_id, external_id = a.text("view_id"), a.text("external_id")
    if not view_id and not external_id:
        raise ApiError("invalid_arguments")
    if view_id:
        stored = ws.views.get(view_id)
    else:
        stored = next((v for v in ws.views.values() if v.external_id == external_id), None)
    if stored is None:
        raise ApiError("not_found")
    view = _view_arg(a, (stored.type,))
    if a.text("hash") and a.text("hash") != stored.hash:
        raise ApiError("hash_conflict")
    stored.external_id = _check_external_id(ws, view, stored) or stored.external_id
    stored.view, stored.hash = view, _new_hash()
    stored.updates += 1
    return {"view": stored.to_json()}


@method("views.publish")
def views_publish(ws: Workspace, a: Args) -> JSON:
    """Publish a user's App Home tab."""
    user = get_user(ws, a.required("user_id", "user_not_found"))
    view = _view_arg(a, ("home",))
    current = next((v for v in ws.views.values() if v.type == "home" and v.user == user.id), None)
    if current is None:
        return {"view": _store(ws, view, None, user.id).to_json()}
    if a.text("hash") and a.text("hash") != current.hash:
        raise ApiError("hash_conflict")
    current.view, current.hash = view, _new_hash()
    current.updates += 1
    return {"view": current.to_json()}
