"""HTTP front of the fake Web API: argument merging, auth, scopes, fault injection, call log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from aiohttp import web

# Imported for their @method registrations.
from .api_chat import __name__ as _chat  # noqa: F401
from .api_conversations import __name__ as _conversations  # noqa: F401
from .api_misc import __name__ as _misc  # noqa: F401
from .api_reading import __name__ as _reading  # noqa: F401
from .models import JSON, Call
from .registry import METHODS, ApiError, Args, MethodSpec
from .scopes import scope_error
from .state import Workspace

log = logging.getLogger(__name__)

WORKSPACE: web.AppKey[Workspace] = web.AppKey("workspace", Workspace)

Answer = tuple[int, JSON, dict[str, str]]


async def merged_args(request: web.Request) -> JSON:
    """Arguments from the query string, then a form body, then a JSON body (later wins)."""
    args: JSON = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return args
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError("invalid_json") from None
        if not isinstance(body, dict):
            raise ApiError("invalid_json")
        args.update(body)
    else:
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    return args


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _auth_error(ws: Workspace, spec: MethodSpec, token: str | None) -> str | None:
    if not token:
        return "not_authed"
    if token not in (ws.bot_token, ws.app_token):
        return "invalid_auth"
    if spec.token == "app" and token != ws.app_token:
        return "invalid_auth"
    if spec.token == "bot" and token != ws.bot_token:
        return "not_allowed_token_type"
    return None


def _fail(error: str, status: int = 200, **extra: object) -> Answer:
    return status, {"ok": False, "error": error, **extra}, {}


def answer(ws: Workspace, name: str, args: JSON, token: str | None) -> Answer:
    """Decide the HTTP status, JSON body and headers for one Web API call."""
    if ws.down:
        return _fail("service_unavailable", 503)
    spec = METHODS.get(name)
    if spec is None:
        return _fail("unknown_method")
    auth_error = _auth_error(ws, spec, token)
    if auth_error:
        return _fail(auth_error)
    missing = scope_error(ws, spec.scopes, Args(args)) if spec.scopes else None
    if missing is not None:
        return _fail("missing_scope", **missing)
    retry_after = ws.take_rate_limit(name)
    if retry_after is None:
        channel = str(args.get("channel") or "") if name == "chat.postMessage" else None
        retry_after = ws.take_tier_limit(name, channel)
    if retry_after is not None:
        status, body, _ = _fail("ratelimited", 429)
        return status, body, {"Retry-After": str(retry_after)}
    injected = ws.take_failure(name)
    if injected:
        return _fail(injected)
    try:
        return 200, {"ok": True, **spec.handler(ws, Args(args))}, {}
    except ApiError as exc:
        return _fail(exc.error, **exc.extra)


def _drop(request: web.Request) -> web.Response:
    """Close the connection without answering; aiohttp then fails to write the (unsent) reply."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=204)


async def _hang(ws: Workspace) -> None:
    """Answer nothing for `ws.hang_seconds`, or until the fake stops."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ws.stopping.wait(), ws.hang_seconds)


def _safe_answer(ws: Workspace, name: str, args: JSON, token: str | None) -> Answer:
    try:
        return answer(ws, name, args, token)
    except Exception as exc:  # a bug in the fake itself: make it loud
        log.exception("fake Slack failed on %s", name)
        return _fail(f"fake_internal_error: {exc!r}", 500)


async def handle_api(request: web.Request) -> web.Response:
    """aiohttp handler for `/api/<method>` (GET or POST), with injected connection faults."""
    ws = request.app[WORKSPACE]
    name = request.match_info["method"]
    started = time.time()
    token = _bearer(request)
    result: tuple[int, JSON, dict[str, str]] | None
    try:
        args = await merged_args(request)
    except ApiError as exc:
        args, result = {}, _fail(exc.error)
    else:
        token = token or args.get("token")
        args.pop("token", None)
        result = None
    if ws.latency > 0:
        await asyncio.sleep(ws.latency)
    fault = ws.take_fault(name)
    if fault == "drop_before":
        ws.calls.append(Call(name, args, 0, False, None, started, fault=fault))
        return _drop(request)
    status, body, headers = result or _safe_answer(ws, name, args, token)
    error = body.get("error")
    ws.calls.append(Call(name, args, status, bool(body.get("ok")), error, started, fault=fault))
    if fault == "hang":
        await _hang(ws)
    if fault is not None:
        return _drop(request)
    return web.Response(
        text=json.dumps(body), status=status, headers=headers, content_type="application/json"
    )
