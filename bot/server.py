"""The aiohttp server: `/slack/events` (HTTP mode), `/healthz`, and the lifecycle hooks."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from prometheus_client import disable_created_metrics
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError

from bot import alert_intake, scrape
from bot.app import create_app
from bot.clock import Clock, utcnow
from bot.deps import Deps
from bot.logs import REQUEST_KIND, about
from bot.metrics import Metrics
from bot.payload_shape import request_kind, shape_problem
from bot.rate_limits import Timebase
from bot.replica import Replica
from bot.scheduler import TimerLoop
from bot.services import alerts, home, outbox, paging, statuspage
from bot.services.channel_setup import finish_pending_setups, renew_setup_leases
from bot.services.channels import join_announcement_channel, join_pack_channels
from bot.services.display import catch_up_displays
from bot.settings import Settings
from bot.slack_gateway import SlackGateway, make_client
from bot.socket_mode import ObservedSocketModeHandler
from bot.startup import BAD_TOKEN
from handlers.deliveries import GAVE_UP, replay, tell_through_response_url
from playbooks.loader import load_pack
from playbooks.model import Pack
from playbooks.overrides import at_times
from playbooks.time_scale import scale_pack
from storage import inbox
from storage.db import Database

log = logging.getLogger(__name__)
DEPS = web.AppKey("deps", Deps)
BOLT = web.AppKey("bolt", AsyncApp)
TIMERS = web.AppKey("timers", TimerLoop)
HOUSEKEEPING_SECONDS = 5.0
LEASE_SECONDS = 2.0  # leases last 10-15 s: renewed (and taken over) every 2 s
DELIVERY_MEMORY = timedelta(hours=24)
MAX_BODY = 1024 * 1024
SIGNATURE_MAX_AGE = 300  # seconds, as Slack documents
HEALTH_TIMEOUT = 1.0  # per step: a write, then (if it fails) a read
# SIGTERM to exit stays under 8 s: HTTP requests, then listeners, then timers, then the rest.
HTTP_DRAIN_SECONDS = 1.0
DRAIN_SECONDS = 3.0
TIMER_DRAIN_SECONDS = 1.5
CANCEL_SECONDS = 1.0


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=400)


def _signed(secret: str, raw: bytes, request: web.Request) -> bool:
    """Slack's v0 HMAC signature over the raw bytes, at most 5 minutes old.

    Computed here rather than with slack_sdk's SignatureVerifier, which decodes the body as
    UTF-8 first: a correctly signed body that is not UTF-8 must get a 400, not a 401.
    """
    stamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > SIGNATURE_MAX_AGE:
        return False
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256)
    return hmac.compare_digest(f"v0={digest.hexdigest()}", signature)


def _parsed(request: web.Request, raw: bytes, metrics: Metrics) -> AsyncBoltRequest | web.Response:
    """The signed body as Bolt's request, or the 400 for a body that is not Slack's."""
    try:
        body = raw.decode("utf-8", errors="strict")
        if request.content_type == "application/x-www-form-urlencoded":
            parse_qsl(body, keep_blank_values=True, errors="strict")  # %FF is not UTF-8 either
    except UnicodeDecodeError:
        metrics.refused("malformed")
        return _bad_request("body is not UTF-8")
    try:
        bolt_request = AsyncBoltRequest(
            body=body, query=request.query_string, headers=dict(request.headers)
        )
        problem = shape_problem(bolt_request.body)
    except Exception as error:  # noqa: BLE001 - Bolt raises all sorts on odd bodies
        # Bolt's own adapter answers 500 on a malformed `payload=`; a bad body is a 4xx.
        log.info("rejected malformed Slack request: %s", error)
        metrics.refused("malformed")
        return _bad_request("malformed body")
    if problem:
        metrics.refused("malformed")
        return _bad_request(problem)
    return bolt_request


async def slack_events(request: web.Request) -> web.Response:
    """One Request URL for commands, interactivity and events: verify, parse, dispatch.

    Each answer is counted: an ack by the request's kind with the time it took, or a
    refusal by its reason."""
    arrived = time.perf_counter()
    deps, bolt = request.app[DEPS], request.app[BOLT]
    metrics = deps.metrics
    secret = deps.settings.slack_signing_secret
    raw = await request.read()
    if secret is None or not _signed(secret.get_secret_value(), raw, request):
        metrics.refused("bad_signature")
        return web.json_response({"error": "invalid request"}, status=401)
    bolt_request = _parsed(request, raw, metrics)
    if isinstance(bolt_request, web.Response):
        return bolt_request
    kind = request_kind(bolt_request.body)
    try:
        with about(REQUEST_KIND, kind):  # the listeners Bolt starts inherit it
            bolt_response = await bolt.async_dispatch(bolt_request)
    except Exception as error:  # noqa: BLE001 - odd payload shapes must not become a 5xx
        log.warning("rejected Slack request Bolt could not dispatch: %r", error)
        metrics.refused("unsupported")
        return _bad_request("unsupported payload")
    if bolt_response.status == 503:
        # The intake could not keep an event: Slack delivers it again later. (Counted as
        # not_recorded where that is decided, handlers.deliveries, as in Socket Mode.)
        return web.json_response({"ok": False, "error": "not recorded, retry"}, status=503)
    if bolt_response.status >= 500:
        log.error("Bolt answered %s to a request it could not handle", bolt_response.status)
        metrics.refused("failed")
        return _bad_request("could not handle this request")
    response = await to_aiohttp_response(bolt_response)
    metrics.acked(kind, time.perf_counter() - arrived)
    return response


async def healthz(request: web.Request) -> web.Response:
    """Liveness: always 200 while serving; says whether the database writes and Slack answers.

    `database` is `ok` only when a real write commits (`read_only` or `unreachable`
    otherwise); `slack` is `ok`, `unreachable`, or Slack's error for a bad token such as
    `invalid_auth`.
    """
    deps = request.app[DEPS]
    database = await deps.db.health(deps.replica.id, deps.clock(), timeout=HEALTH_TIMEOUT)
    if database != "ok":
        deps.metrics.database_error("health")
    return web.json_response(
        {
            "ok": database == "ok" and deps.slack.state == "ok",
            "database": database,
            "slack": deps.slack.state,
            "mode": "socket" if deps.settings.socket_mode else "http",
        }
    )


async def _every(
    seconds: float,
    work: Callable[[], Awaitable[Any]],
    failed: Callable[[Exception], None] | None = None,
) -> None:
    """Run `work` until cancelled, `seconds` apart; a failure is logged (and given to
    `failed`), and the loop goes on.

    Python 3.11's `asyncio.wait_for` can swallow a cancellation that arrives as its inner
    call finishes; the loop then checks for a cancellation still pending, or shutdown would
    wait for it forever.
    """
    task = asyncio.current_task()
    while task is None or not task.cancelling():
        try:
            await work()
        except Exception as error:  # noqa: BLE001 - the next round tries again
            log.warning("%s failed: %r", getattr(work, "__name__", "background work"), error)
            if failed is not None:
                failed(error)
        if task is not None and task.cancelling():
            break
        await asyncio.sleep(seconds)


def _loop(deps: Deps, name: str, seconds: float, work: Callable[[], Awaitable[Any]]) -> None:
    """Start a background loop; its database failures are counted under its name."""
    failed = functools.partial(deps.metrics.database_error, name)
    deps.lifecycle.spawn(_every(seconds, work, failed), name=name)


async def _probe_slack(deps: Deps) -> None:
    """Keep /healthz's Slack state current, on its own clock (setups may take a while)."""
    deps.slack.state = await _slack_state(deps.slack)


async def _housekeeping(deps: Deps) -> None:
    """Finish half-done setups, redraw displays that fell behind, forget old deliveries."""
    if deps.slack.state == "ok":
        await finish_pending_setups(
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            settings=deps.settings,
            replica=deps.replica,
        )
        await catch_up_displays(
            db=deps.db, slack=deps.slack, pack=deps.pack, clock=deps.clock, replica=deps.replica
        )
    async with deps.db.transaction() as session:
        await inbox.forget_before(session=session, cutoff=deps.clock() - DELIVERY_MEMORY)


async def _slack_state(slack: SlackGateway) -> str:
    """`ok`, `unreachable`, or Slack's error for a token it refuses (auth.test, no retries)."""
    try:
        # asyncio.timeout, not wait_for: under 3.11 wait_for can swallow a cancellation.
        async with asyncio.timeout(5):
            await slack.probe_client.auth_test()
        return "ok"
    except SlackApiError as error:
        code = str(error.response.get("error", ""))
        return code if code in BAD_TOKEN else "unreachable"
    except Exception:  # noqa: BLE001 - any other failure means Slack is unreachable for us
        return "unreachable"


async def _renew_leases(deps: Deps) -> None:
    """Keep the work in progress here (deliveries, setups, posts) from being taken over."""
    await deps.intake.renew_leases()
    await renew_setup_leases(db=deps.db, clock=deps.clock, replica=deps.replica)
    await outbox.renew_leases(db=deps.db, clock=deps.clock, replica=deps.replica)


def _take_over(deps: Deps, bolt: AsyncApp) -> Callable[[], Awaitable[None]]:
    """Replay deliveries and deliver posts whose process died (their leases ran out)."""

    async def give_up(payload: dict[str, Any]) -> None:
        await tell_through_response_url(deps.slack, payload, GAVE_UP)

    async def replay_one(key: str, payload: dict[str, Any]) -> None:
        if payload.get("type") == alerts.BATCH:  # alerts from monitoring, not from Slack
            await alert_intake.process(deps, key, payload)
            return
        await replay(bolt, key, payload)

    async def take_over() -> None:
        await deps.intake.replay_stalled(replay_one, give_up)
        await outbox.deliver_stalled(
            db=deps.db, slack=deps.slack, clock=deps.clock, replica=deps.replica
        )

    return take_over


# --- Paging out (PagerDuty, Opsgenie) ---
async def _refresh_homes(deps: Deps) -> None:
    await home.refresh_if_changed_elsewhere(
        db=deps.db, slack=deps.slack, pack=deps.pack, clock=deps.clock, replica=deps.replica
    )


PAGING_SECONDS = 2.0  # a due page (a retry, or one whose sender died) goes out this soon


async def _send_due_pages(deps: Deps) -> None:
    """Send the pages that are due: retries after their backoff, and those whose sender
    died before sending them."""
    await paging.send_due(
        db=deps.db, pagers=deps.pagers, slack=deps.slack, clock=deps.clock, replica=deps.replica
    )


async def _send_due_statuspage(deps: Deps) -> None:
    """Send the Statuspage calls that are due: new ones, retries after their backoff, and
    those whose sender died before sending them."""
    await statuspage.send_due(
        db=deps.db,
        statuspage=deps.statuspage,
        slack=deps.slack,
        clock=deps.clock,
        replica=deps.replica,
    )


def create_web_app(deps: Deps, *, with_lifecycle: bool = True) -> web.Application:
    """The aiohttp application with routes and lifecycle hooks.

    `with_lifecycle=False` leaves starting and stopping the bot (`lifecycle`) to the caller:
    the sandbox serves Slack's API from this same server, so the bot may only start (and
    call Slack) once the server is listening.
    """
    web_app = web.Application(client_max_size=MAX_BODY)
    web_app[DEPS] = deps
    web_app[BOLT] = create_app(deps)
    web_app[TIMERS] = TimerLoop(deps)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_routes(scrape.routes(deps))
    web_app.router.add_routes(alert_intake.routes(deps))
    if not deps.settings.socket_mode:
        web_app.router.add_post("/slack/events", slack_events)
    if with_lifecycle:
        web_app.cleanup_ctx.append(lifecycle)
    return web_app


async def lifecycle(web_app: web.Application) -> AsyncIterator[None]:
    """Start the bot (migrations, Slack identity, background loops, timers), yield while it
    serves, then drain and stop it."""
    deps, bolt, clock = web_app[DEPS], web_app[BOLT], web_app[TIMERS]
    http, socket = await _connect(deps, bolt)
    _start_loops(deps, bolt)
    await clock.start()
    # Startup objects live for the whole run: keep them out of the collector's full passes,
    # whose pauses otherwise land on request acks.
    gc.collect()
    gc.freeze()
    yield
    await _stop(deps, clock, socket)
    await http.close()
    await deps.pagers.close()
    await deps.statuspage.close()
    await deps.db.dispose()


async def _connect(
    deps: Deps, bolt: AsyncApp
) -> tuple[aiohttp.ClientSession, AsyncSocketModeHandler | None]:
    """The schema, Slack's answer about who the bot is, the channels it joins, and (in
    Socket Mode) the connection; one pooled HTTP session for every Web API call."""
    http = aiohttp.ClientSession()
    for client in (deps.slack.client, deps.slack.probe_client, bolt.client):
        if client is not None:
            client.session = http
    if deps.settings.auto_migrate:  # else the startup checks made sure it is at head
        await deps.db.migrate()
    await deps.slack.identity()  # now, not in the first burst of requests
    with contextlib.suppress(Exception):
        await join_announcement_channel(slack=deps.slack, settings=deps.settings)
    await join_pack_channels(deps.pack, slack=deps.slack)
    if deps.settings.slack_app_token is None:
        return http, None
    token = deps.settings.slack_app_token.get_secret_value()
    socket = ObservedSocketModeHandler(bolt, token, metrics=deps.metrics)
    await socket.connect_async()
    log.info("connected to Slack over Socket Mode")
    return http, socket


def _start_loops(deps: Deps, bolt: AsyncApp) -> None:
    """The background passes, each on its own interval."""
    _loop(deps, "leases", LEASE_SECONDS, lambda: _renew_leases(deps))
    _loop(deps, "take-over", LEASE_SECONDS, _take_over(deps, bolt))
    _loop(deps, "slack-probe", HOUSEKEEPING_SECONDS, lambda: _probe_slack(deps))
    _loop(deps, "housekeeping", HOUSEKEEPING_SECONDS, lambda: _housekeeping(deps))
    paging.warn_unknown_targets(deps.pack, deps.settings)
    statuspage.warn_if_unconfigured(deps.pack, deps.settings)
    _loop(deps, "paging", PAGING_SECONDS, lambda: _send_due_pages(deps))
    _loop(deps, "statuspage", PAGING_SECONDS, lambda: _send_due_statuspage(deps))
    # A change another replica made shows on the Homes watched through this one too.
    _loop(deps, "home-poll", PAGING_SECONDS, lambda: _refresh_homes(deps))


async def _stop(deps: Deps, clock: TimerLoop, socket: AsyncSocketModeHandler | None) -> None:
    """Stop taking work, then finish what was acknowledged: listeners in flight, then the
    timers being fired. What is still running after that is cancelled: its deliveries stay
    pending in the inbox and are replayed after the restart, so nothing is lost."""
    if socket is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(socket.close_async(), 1.0)
    # No replays from now on.
    await deps.lifecycle.stop_loops(
        ("take-over", "slack-probe", "housekeeping", "paging", "statuspage")
    )
    await deps.lifecycle.drain(timeout=DRAIN_SECONDS)
    await clock.stop(timeout=TIMER_DRAIN_SECONDS)
    await deps.lifecycle.cancel_all(
        timeout=CANCEL_SECONDS, also=(*deps.intake.tasks(), *deps.replica.home_pending.values())
    )


def active_pack(settings: Settings) -> Pack:
    """The pack the settings name, with their time scale and checklist times."""
    pack = scale_pack(load_pack(settings.playbook_pack), settings.pack_time_scale)
    return at_times(pack, settings.checklist_times)


def build_deps(
    settings: Settings, clock: Clock = utcnow, *, timebase: Timebase | None = None
) -> Deps:
    """Every collaborator, from settings: database, Slack gateway, the active pack, a clock.

    `timebase` is what the Slack calls are paced on (the real clock unless a test moves it).
    """
    metrics = Metrics()
    return Deps(
        settings=settings,
        db=Database(settings.database_url),
        slack=SlackGateway(
            make_client(settings, timebase=timebase, metrics=metrics),
            make_client(settings, retries=False, metrics=metrics),
        ),
        pack=active_pack(settings),
        clock=clock,
        replica=Replica(home_debounce=settings.home_refresh_seconds),
        metrics=metrics,
    )


def run(settings: Settings) -> None:
    """Serve until interrupted."""
    # prometheus-client adds a `_created` series beside every counter and histogram: twice
    # the series for a timestamp no dashboard uses. (Process-wide: this process is the bot.)
    disable_created_metrics()
    deps = build_deps(settings)
    log.info(
        "incident bot starting in %s mode on port %s",
        "Socket" if settings.socket_mode else "HTTP",
        settings.port,
    )
    web.run_app(
        create_web_app(deps), port=settings.port, print=None, shutdown_timeout=HTTP_DRAIN_SECONDS
    )
