"""HTTP front of the fake Web API: argument merging, auth, fault injection, call log."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from aiohttp import web

from . import api_chat, api_conversations, api_misc  # noqa: F401  (registers methods)
from .models import JSON, Call
from .registry import METHODS, ApiError, Args, MethodSpec
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
    retry_after = ws.take_rate_limit(name)
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


async def handle_api(request: web.Request) -> web.Response:
    """aiohttp handler for `/api/<method>` (GET or POST)."""
    ws = request.app[WORKSPACE]
    name = request.match_info["method"]
    started = time.time()
    token = _bearer(request)
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
    if result is None:
        try:
            result = answer(ws, name, args, token)
        except Exception as exc:  # a bug in the fake itself: make it loud
            log.exception("fake Slack failed on %s", name)
            result = _fail(f"fake_internal_error: {exc!r}", 500)
    status, body, headers = result
    error = body.get("error")
    ws.calls.append(Call(name, args, status, bool(body.get("ok")), error, started))
    return web.Response(
        text=json.dumps(body), status=status, headers=headers, content_type="application/json"
    )
