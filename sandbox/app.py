"""The sandbox: the bot and a Slack-compatible workspace in one process, on one port.

`make run` without `SLACK_BOT_TOKEN` comes here. The bot's own aiohttp server serves, next
to `/slack/events` and `/healthz`, the workspace under `/sandbox/`: Slack's Web API at
`/sandbox/api/` (which the bot's `SLACK_API_URL` points to), `response_url`s, and a page to
use it. What a person does on the page reaches the bot as a signed request to
`/slack/events`, as from Slack; the time control moves the bot's injected clock.

The workspace is kept beside the database (`<database>.sandbox`), so a restart, for
instance after editing the `PLAYBOOK_PACK` YAML, shows the same channels and incidents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import secrets
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr

from bot.clock import OffsetClock
from bot.deps import Deps
from bot.server import build_deps, create_web_app, lifecycle
from bot.settings import Settings

from .context import SANDBOX, Sandbox
from .link import BotLink
from .slack.server import QUIET, FakeSlack
from .ui import ui_routes

log = logging.getLogger(__name__)
PREFIX = "/sandbox"
BOT_TOKEN = "xoxb-sandbox"
APP_TOKEN = "xapp-sandbox"
STATIC = Path(__file__).resolve().parent / "static"
SAVE_SECONDS = 1.0


@dataclass
class RunningSandbox:
    """A started sandbox: its page's URL, the workspace, the bot's clock and dependencies."""

    url: str
    sandbox: Sandbox
    deps: Deps
    runner: web.AppRunner
    stack: contextlib.AsyncExitStack
    saved_at: Path | None

    @property
    def workspace(self) -> FakeSlack:
        """The Slack-compatible workspace the bot talks to."""
        return self.sandbox.workspace

    @property
    def clock(self) -> OffsetClock:
        """The bot's clock; `advance` it to see reminders fire."""
        return self.sandbox.clock

    def save(self) -> None:
        """Write the workspace and the clock's offset beside the database."""
        if self.saved_at is not None:
            save_workspace(self.sandbox, self.saved_at)

    async def close(self) -> None:
        """Stop the bot (it drains what it acknowledged), save, then stop serving."""
        await self.stack.aclose()
        self.save()
        await self.sandbox.link.close()
        await self.runner.cleanup()


def snapshot_path(database_url: str) -> Path | None:
    """Where the workspace is kept: beside a SQLite file; nowhere for an in-memory database;
    in the working directory for a server database."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        return None if not path or path == ":memory:" else Path(f"{path}.sandbox")
    return Path("sandbox-workspace.sandbox")


def save_workspace(sandbox: Sandbox, path: Path) -> None:
    """Write atomically: a crash mid-write leaves the previous copy."""
    data = {
        "workspace": sandbox.workspace.snapshot(),
        "offset": sandbox.clock.offset,
        "closed_views": sandbox.closed_views,
        "dismissed": sandbox.dismissed,
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(pickle.dumps(data))
    os.replace(partial, path)


def load_workspace(sandbox: Sandbox, path: Path) -> bool:
    """Take back what `save_workspace` wrote (a file only this sandbox writes); False when
    there is none or it cannot be read, and the workspace starts fresh."""
    try:
        data = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, beside our DB
        sandbox.workspace.restore(data["workspace"])
    except FileNotFoundError:
        return False
    except Exception as error:  # noqa: BLE001 - an unreadable copy: start a fresh workspace
        log.warning("sandbox: could not read %s (%r); starting a fresh workspace", path, error)
        return False
    sandbox.clock.offset = data["offset"]
    sandbox.closed_views, sandbox.dismissed = data["closed_views"], data["dismissed"]
    return True


def sandbox_settings(settings: Settings, secret: str) -> Settings:
    """The settings with Slack pointed at the sandbox on the bot's own port (HTTP mode)."""
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr(BOT_TOKEN),
            "slack_app_token": None,
            "slack_signing_secret": SecretStr(secret),
            "slack_api_url": f"http://127.0.0.1:{settings.port}{PREFIX}/api/",
        }
    )


def _page_app(sandbox: Sandbox) -> web.Application:
    """Slack's endpoints and the page, to be mounted at PREFIX."""
    app = sandbox.workspace.web_app()
    app[SANDBOX] = sandbox

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    app.router.add_get("/", index, name=f"{QUIET}page")
    if STATIC.is_dir():
        app.router.add_static("/static/", STATIC, name=f"{QUIET}static")
    app.router.add_routes(ui_routes())
    return app


async def _to_page(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"{PREFIX}/")


async def start_sandbox(settings: Settings, *, host: str | None = None) -> RunningSandbox:
    """Serve the bot and the sandbox on `settings.port`, then start the bot.

    The bot starts only once the server listens: its first Slack calls go to this server.
    """
    secret = secrets.token_hex(16)
    settings = sandbox_settings(settings, secret)
    local = f"http://127.0.0.1:{settings.port}"
    workspace = FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
    workspace.base_url = f"{local}{PREFIX}"
    clock = OffsetClock()
    workspace.ts_clock = lambda: clock().timestamp()
    sandbox = Sandbox(workspace, clock, BotLink(f"{local}/slack/events", secret))
    saved_at = snapshot_path(settings.database_url)
    if saved_at is not None:
        load_workspace(sandbox, saved_at)
    deps = build_deps(settings, clock)
    web_app = create_web_app(deps, with_lifecycle=False)
    web_app.router.add_get("/", _to_page)
    web_app.router.add_get(PREFIX, _to_page)
    web_app.add_subapp(PREFIX, _page_app(sandbox))
    runner = web.AppRunner(web_app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    stack = contextlib.AsyncExitStack()
    try:
        await web.TCPSite(runner, host, settings.port).start()
        await stack.enter_async_context(contextlib.asynccontextmanager(lifecycle)(web_app))
    except BaseException:
        await stack.aclose()
        await runner.cleanup()
        raise
    return RunningSandbox(f"{local}{PREFIX}/", sandbox, deps, runner, stack, saved_at)


async def _keep_saving(running: RunningSandbox) -> None:
    seen = -1
    while True:
        await asyncio.sleep(SAVE_SECONDS)
        revision = running.workspace.revision
        if revision != seen:
            with contextlib.suppress(OSError):
                running.save()
            seen = revision


async def _serve(settings: Settings) -> None:
    running = await start_sandbox(settings)
    print(f"Sandbox running: open {running.url} (Ctrl-C stops it)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    saver = asyncio.create_task(_keep_saving(running))
    try:
        await stop.wait()
    finally:
        saver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await saver
        await running.close()


def run_sandbox(settings: Settings) -> int:
    """Run the sandbox until interrupted; the exit code."""
    try:
        asyncio.run(_serve(settings))
    except OSError as error:
        print(f"incident-bot: PORT {settings.port} is not free: {error.strerror}", file=sys.stderr)
        return 2
    return 0
