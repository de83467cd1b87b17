"""The aiohttp server: `/slack/events` (HTTP mode), `/healthz`, and the lifecycle hooks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.app import create_app, make_client
from bot.payload_shape import shape_problem
from bot.runtime import Runtime
from bot.scheduler import TimerLoop
from bot.services.declare import finish_pending_setups
from bot.settings import Settings
from playbooks.loader import load_pack
from storage import deliveries
from storage.db import Database

log = logging.getLogger(__name__)
RUNTIME = web.AppKey("runtime", Runtime)
BOLT = web.AppKey("bolt", AsyncApp)
HOUSEKEEPING_SECONDS = 5.0
DELIVERY_MEMORY = timedelta(hours=24)
MAX_BODY = 1024 * 1024
DRAIN_SECONDS = 4.5
TIMER_DRAIN_SECONDS = 2.0
HTTP_DRAIN_SECONDS = 2.0


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=400)


def _signed(secret: str, raw: bytes, request: web.Request) -> bool:
    """Slack's v0 HMAC signature, at most 5 minutes old; anything odd is unsigned."""
    try:
        return SignatureVerifier(secret).is_valid(
            raw,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        )
    except (ValueError, TypeError):
        return False


async def slack_events(request: web.Request) -> web.Response:
    """One Request URL for commands, interactivity and events: verify, parse, dispatch."""
    rt, bolt = request.app[RUNTIME], request.app[BOLT]
    secret = rt.settings.slack_signing_secret
    raw = await request.read()
    if secret is None or not _signed(secret.get_secret_value(), raw, request):
        return web.json_response({"error": "invalid request"}, status=401)
    try:
        body = raw.decode("utf-8")
        bolt_request = AsyncBoltRequest(
            body=body, query=request.query_string, headers=dict(request.headers)
        )
        problem = shape_problem(bolt_request.body)
        if problem:
            return _bad_request(problem)
    except Exception as error:  # noqa: BLE001 - Bolt raises all sorts on odd bodies
        # Bolt's own adapter answers 500 on a malformed `payload=`; a bad body is a 4xx.
        log.info("rejected malformed Slack request: %s", error)
        return _bad_request("malformed body")
    try:
        bolt_response = await bolt.async_dispatch(bolt_request)
    except Exception as error:  # noqa: BLE001 - odd payload shapes must not become a 5xx
        log.warning("rejected Slack request Bolt could not dispatch: %r", error)
        return _bad_request("unsupported payload")
    if bolt_response.status >= 500:
        log.error("Bolt answered %s to a request it could not handle", bolt_response.status)
        return _bad_request("could not handle this request")
    return await to_aiohttp_response(bolt_response)


async def healthz(request: web.Request) -> web.Response:
    """Liveness: always 200 while serving; says whether the database and Slack answer."""
    rt = request.app[RUNTIME]
    database = await rt.db.ping()
    return web.json_response(
        {
            "ok": database,
            "database": "ok" if database else "unreachable",
            "slack": "ok" if rt.slack_ok else "unreachable",
            "mode": "socket" if rt.settings.socket_mode else "http",
        }
    )


async def _housekeeping(rt: Runtime) -> None:
    """Every few seconds: check Slack, finish half-done setups, forget old delivery keys."""
    while True:
        rt.slack_ok = await _slack_answers(rt)
        if rt.slack_ok:
            with contextlib.suppress(Exception):
                await finish_pending_setups(rt)
        with contextlib.suppress(Exception):
            async with rt.db.session() as session:
                await deliveries.forget_before(session=session, cutoff=rt.clock() - DELIVERY_MEMORY)
        await asyncio.sleep(HOUSEKEEPING_SECONDS)


async def _slack_answers(rt: Runtime) -> bool:
    """True when the Web API answers (auth.test, no retries, short timeout)."""
    try:
        client = rt.probe_client or rt.client
        await asyncio.wait_for(client.auth_test(), timeout=5)
        return True
    except Exception:  # noqa: BLE001 - any failure means Slack is unreachable for us
        return False


def create_web_app(rt: Runtime) -> web.Application:
    """The aiohttp application with routes and lifecycle hooks."""
    web_app = web.Application(client_max_size=MAX_BODY)
    web_app[RUNTIME] = rt
    web_app[BOLT] = create_app(rt)
    web_app.router.add_get("/healthz", healthz)
    if not rt.settings.socket_mode:
        web_app.router.add_post("/slack/events", slack_events)
    web_app.cleanup_ctx.append(_lifecycle)
    return web_app


async def _lifecycle(web_app: web.Application) -> AsyncIterator[None]:
    rt, bolt = web_app[RUNTIME], web_app[BOLT]
    # One pooled HTTP session for every Web API call, instead of a new one per call.
    http = aiohttp.ClientSession()
    for client in (rt.client, rt.probe_client):
        if client is not None:
            client.session = http
    await rt.db.migrate()
    socket: AsyncSocketModeHandler | None = None
    if rt.settings.slack_app_token is not None:
        socket = AsyncSocketModeHandler(bolt, rt.settings.slack_app_token.get_secret_value())
        await socket.connect_async()
        log.info("connected to Slack over Socket Mode")
    rt.spawn(_housekeeping(rt), name="housekeeping")
    clock = TimerLoop(rt)
    await clock.start()
    await rt.bot_identity()  # now, not in the first burst of requests
    # Startup objects live for the whole run: keep them out of the collector's full passes,
    # whose pauses otherwise land on request acks.
    gc.collect()
    gc.freeze()
    yield
    # Stop taking work, then finish what was acknowledged: listeners in flight, then the
    # timers being fired. The budgets add up to well under the 10 s a SIGTERM allows.
    if socket is not None:
        await socket.close_async()
    await rt.drain(timeout=DRAIN_SECONDS)
    await clock.stop(timeout=TIMER_DRAIN_SECONDS)
    tasks = list(rt.background)
    for task in tasks:
        if task.get_name() == "housekeeping":
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await http.close()
    await rt.db.dispose()


def build_runtime(settings: Settings) -> Runtime:
    """Runtime from settings: database, Slack client and the active playbook pack."""
    return Runtime(
        settings=settings,
        db=Database(settings.database_url),
        client=make_client(settings),
        probe_client=make_client(settings, retries=False),
        pack=load_pack(settings.playbook_pack),
    )


def run(settings: Settings) -> None:
    """Serve until interrupted."""
    rt = build_runtime(settings)
    log.info(
        "incident bot starting in %s mode on port %s",
        "Socket" if settings.socket_mode else "HTTP",
        settings.port,
    )
    web.run_app(
        create_web_app(rt), port=settings.port, print=None, shutdown_timeout=HTTP_DRAIN_SECONDS
    )
