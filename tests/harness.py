"""Run the real bot (app factory + aiohttp server) against the fake Slack, and talk to it."""

from __future__ import annotations

import asyncio
import atexit
import io
import json
import shutil
import socket
import sqlite3
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

import bot.server as server_module
from bot.clock import Clock, OffsetClock
from bot.rate_limits import Timebase
from bot.server import DEPS, TIMERS, build_deps, create_web_app
from bot.settings import Settings
from playbooks.loader import PackError, _resolve, load_pack
from playbooks.model import Pack
from sandbox.slack import (
    FakeSlack,
    block_actions_payload,
    event_callback,
    message_action_payload,
    sign_request,
    slash_command_form,
    subscribed_event_callback,
    view_submission_payload,
)
from sandbox.slack.server import POLL_SECONDS
from storage import repo
from storage.db import Database

SECRET = "test-signing-secret"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ALERT_TOKEN = "test-alert-token-0123456789"


def make_settings(fake: FakeSlack, database_url: str, **overrides: Any) -> Settings:
    """Settings built explicitly, never from the real environment or a .env file."""
    values: dict[str, Any] = {
        "slack_bot_token": fake.bot_token,
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.api_url,
        "database_url": database_url,
        "port": free_port(),
        "incidents_channel": "incidents",
        "incident_admins": "U_DAVE",
        "log_level": "DEBUG",
        "playbook_pack": "default",
        "alert_tokens": f"monitoring:{ALERT_TOKEN}",
        # Real Slack budgets on the real clock would make a test wait out Slack's minute; the
        # tests of pacing turn it on with a `ManualTimebase` shared with the fake.
        "slack_pacing": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


_template_lock = threading.Lock()
_template: Path | None = None


def copy_migrated_sqlite(path: Path) -> None:
    """Make `path` a SQLite database at the newest migration, in about a millisecond.

    It is a copy of one file this process migrated (with `Database.migrate`) on first use:
    running the migrations for every test costs ~50 ms each. The migrations still run: once
    per process for the template (tests/storage/test_migrations.py compares what they built
    with the models), at every bot start (as on the restart of an up-to-date database), and
    on a fresh file wherever a test passes its own `database_url`.
    """
    shutil.copyfile(_migrated_template(), path)


def _migrated_template() -> Path:
    global _template
    with _template_lock:
        if _template is None:
            directory = Path(tempfile.mkdtemp(prefix="incident-bot-template-"))
            atexit.register(shutil.rmtree, directory, ignore_errors=True)
            path = directory / "migrated.db"
            # Its own thread and loop: callers may be inside a running loop (or another thread).
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, _migrate(path)).result()
            # One self-contained file (no -wal beside it); the bot turns WAL on when it opens it.
            conn = sqlite3.connect(path)
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.close()
            _template = path
        return _template


async def _migrate(path: Path) -> None:
    database = Database(f"sqlite:///{path}")
    try:
        await database.migrate()
    finally:
        await database.dispose()


_packs_lock = threading.Lock()
_packs: dict[tuple[str, bytes], Pack] = {}


def _load_pack_once(ref: str | Path) -> Pack:
    """`load_pack`, parsed once per file content (~20 ms of YAML each time otherwise).

    Packs are frozen models, so bots can share one. A pack that cannot be read or parsed
    is left to `load_pack`, to fail as it does.
    """
    try:
        source = _resolve(ref)  # the file load_pack reads for this ref
        key = (str(source.resolve()), source.read_bytes())
    except (PackError, OSError):
        return load_pack(ref)
    if key not in _packs:
        _packs[key] = load_pack(ref)
    return _packs[key]


@contextmanager
def _packs_parsed_once() -> Iterator[None]:
    with _packs_lock, mock.patch.object(server_module, "load_pack", _load_pack_once):
        yield


class Bot:
    """A running bot and helpers that send it signed Slack requests."""

    def __init__(self, fake: FakeSlack, app: web.Application, url: str) -> None:
        self.fake = fake
        self.app = app
        self.url = url
        self.deps = app[DEPS]
        self.http = aiohttp.ClientSession()

    # What tests may look at inside the bot. Tests use these, never the wiring behind them,
    # so the wiring can change without touching every test.
    @property
    def db(self) -> Any:
        """The bot's database."""
        return self.deps.db

    @property
    def clock(self) -> Any:
        """The bot's clock: an `OffsetClock` (real time that `advance` moves ahead) unless
        the test passed another, such as a `ManualClock`."""
        return self.deps.clock

    @db.setter
    def db(self, database: Any) -> None:
        """Swap the database the work runs on (the intake keeps its own handle)."""
        self.deps.db = database

    @property
    def intake(self) -> Any:
        """The bot's intake of Slack deliveries."""
        return self.deps.intake

    @property
    def settings(self) -> Settings:
        """The settings the bot runs with."""
        return self.deps.settings

    @property
    def pack(self) -> Any:
        """The active playbook pack."""
        return self.deps.pack

    @property
    def client(self) -> Any:
        """The bot's Slack Web API client."""
        return self.deps.slack.client

    @property
    def replica(self) -> str:
        """This bot's owner ID for leases."""
        return self.deps.replica.id

    @property
    def posting(self) -> set[int]:
        """Outbox posts being delivered by this bot right now."""
        return set(self.deps.replica.posting)

    async def run_due_timers(self) -> None:
        """Fire every timer due at the bot's clock now, and wait until they are fired."""
        await self.app[TIMERS].run_due()

    async def post(
        self,
        body: bytes,
        *,
        content_type: str,
        sign: bool = True,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        """POST a raw body to /slack/events, signed unless told otherwise."""
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if sign:
            all_headers.update(sign_request(body, SECRET))
        async with self.http.post(
            f"{self.url}/slack/events", data=body, headers=all_headers
        ) as response:
            return response.status, await response.text()

    async def command(
        self, text: str, *, user: str = "U_ALICE", channel: str | None = None
    ) -> tuple[int, str, str]:
        """Send `/incident <text>`; returns status, body and the command's response_url."""
        channel = channel or self.fake.channel_by_name("general").id
        form = slash_command_form(self.fake, text=text, user_id=user, channel_id=channel)
        status, body = await self.post(
            urlencode(form).encode(), content_type="application/x-www-form-urlencoded"
        )
        return status, body, form["response_url"]

    async def socket_command(
        self, text: str, *, user: str = "U_ALICE", channel: str | None = None
    ) -> dict[str, Any]:
        """Send `/incident <text>` over Socket Mode (once connected); returns the ack."""
        await self.fake.wait_socket_connected()
        channel = channel or self.fake.channel_by_name("general").id
        form = slash_command_form(self.fake, text=text, user_id=user, channel_id=channel)
        return await self.fake.socket_send("slash_commands", form)

    async def alert(
        self,
        fmt: str,
        payload: Any,
        *,
        token: str | None = ALERT_TOKEN,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """POST alerts to `/alerts/<fmt>`; returns the status and the JSON answer."""
        sent = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
        body = raw if raw is not None else json.dumps(payload).encode()
        async with self.http.post(
            f"{self.url}/alerts/{fmt}",
            data=body,
            headers={"Content-Type": "application/json", **sent},
        ) as response:
            return response.status, await response.json()

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        """Send an interactivity payload (`payload=<json>`)."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    async def click(
        self, *, user: str, channel: str, ts: str, actions: list[dict[str, Any]]
    ) -> tuple[int, str]:
        """Click something in a message."""
        return await self.interact(
            block_actions_payload(
                self.fake, user_id=user, channel_id=channel, message_ts=ts, actions=actions
            )
        )

    async def submit(
        self,
        *,
        user: str,
        callback_id: str,
        values: dict[str, Any],
        private_metadata: str = "",
        view_id: str | None = None,
    ) -> tuple[int, str]:
        """Submit a modal."""
        return await self.interact(
            view_submission_payload(
                self.fake,
                user_id=user,
                callback_id=callback_id,
                values=values,
                private_metadata=private_metadata,
                view_id=view_id,
            )
        )

    async def event(
        self, event: dict[str, Any], *, subscribed: bool = True, **kw: Any
    ) -> tuple[int, str]:
        """Deliver an Events API event: one the manifest subscribes to, with its scope,
        unless `subscribed` is False (a delivery no listener expects)."""
        build = subscribed_event_callback if subscribed else event_callback
        body = json.dumps(build(self.fake, event, **kw)).encode()
        return await self.post(body, content_type="application/json")

    async def shortcut(
        self, callback_id: str, *, user: str, channel: str, ts: str
    ) -> tuple[int, str, dict[str, Any]]:
        """Use a message shortcut on a message; returns status, body and the payload sent."""
        payload = message_action_payload(
            self.fake, user_id=user, callback_id=callback_id, channel_id=channel, message_ts=ts
        )
        status, body = await self.interact(payload)
        return status, body, payload

    async def replies(self, response_url: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait until the bot has posted `count` replies to a response_url; return them."""
        await self.fake.wait_for(lambda: len(self.fake.response_posts(response_url)) >= count)
        return self.fake.response_posts(response_url)

    async def declare(
        self, text: str = "sev1 Refunds executed twice", *, user: str = "U_ALICE"
    ) -> Any:
        """Declare inline and wait until the channel is fully set up (pinned card, the
        announcement, and the bot has recorded the setup as finished); returns the channel."""
        before = set(self.fake.channels)
        status, _, _ = await self.command(f"declare {text}", user=user)
        assert status == 200
        await self.fake.wait_for(
            lambda: any(c.pins for cid, c in self.fake.channels.items() if cid not in before)
        )
        channel = next(c for cid, c in self.fake.channels.items() if cid not in before)
        announced = self.fake.channel_by_name("incidents")
        await self.fake.wait_for(
            lambda: any(
                channel.id in (m.text + json.dumps(m.blocks))
                for m in self.fake.messages(announced.id)
            )
        )
        await self.setup_finished(channel.id)
        return channel

    async def setup_finished(self, channel_id: str, timeout: float = 5.0) -> None:
        """Wait until the bot has recorded the setup of the incident in this channel as
        finished (its last Slack call comes a moment before that write)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            async with self.db.reader() as session:
                incident = await repo.get_by_channel(session=session, channel_id=channel_id)
            state = incident.setup_state if incident else None
            if state == "ready":
                return
            if loop.time() > deadline:
                raise AssertionError(
                    f"the setup of the incident in {channel_id} did not finish within "
                    f"{timeout}s (setup_state {state!r})"
                )
            await self.fake.next_change(POLL_SECONDS)

    def card(self, channel: Any) -> Any:
        """The pinned card message of an incident channel."""
        return self.fake.find_message(channel.id, channel.pins[0])

    async def card_shows(self, channel: Any, *fragments: str) -> None:
        """Wait until the pinned card contains every fragment."""
        await self.fake.wait_for(
            lambda: all(
                f in json.dumps(self.card(channel).blocks, ensure_ascii=False) for f in fragments
            )
        )

    async def close(self) -> None:
        """Close the client session."""
        await self.http.close()


@asynccontextmanager
async def running_bot(
    fake: FakeSlack,
    tmp_path: Path,
    *,
    database_url: str | None = None,
    clock: Clock | None = None,
    timebase: Timebase | None = None,
    **overrides: Any,
) -> AsyncIterator[Bot]:
    """Start the real aiohttp app on a free port; stop it afterwards.

    `timebase` paces the bot's Slack calls (with `slack_pacing=True`) on a test's time.

    Without a `database_url`, the bot uses `tmp_path / "bot.db"`: the database a bot left
    there before, else a freshly migrated one.
    """
    if database_url is None:
        path = tmp_path / "bot.db"
        if not path.exists():
            copy_migrated_sqlite(path)
        database_url = f"sqlite:///{path}"
    # The bot's port is bound here and kept, so that no other process (another test worker)
    # can take it between choosing it and listening on it. A test that sets `port` gets it.
    sock = None if "port" in overrides else _listening_socket()
    try:
        if sock is not None:
            overrides["port"] = sock.getsockname()[1]
        settings = make_settings(fake, database_url, **overrides)
        with _packs_parsed_once():
            deps = build_deps(settings, clock or OffsetClock(), timebase=timebase)
        app = create_web_app(deps)
        # Requests in flight at the end get what `python -m bot` gives them (web.run_app).
        runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=server_module.HTTP_DRAIN_SECONDS,
        )
    except BaseException:
        if sock is not None:
            sock.close()
        raise
    try:
        await runner.setup()
        if sock is None:
            await web.TCPSite(runner, "127.0.0.1", settings.port).start()
        else:
            await web.SockSite(runner, sock).start()
        bot = Bot(fake, app, f"http://127.0.0.1:{settings.port}")
        try:
            yield bot
        finally:
            await bot.close()
    finally:
        await runner.cleanup()
        if sock is not None:
            sock.close()
        await _no_bot_task_left()


ROOT = Path(__file__).resolve().parents[1]
BOT_CODE = tuple(str(ROOT / part) for part in ("bot", "handlers", "storage"))


async def _no_bot_task_left(timeout: float = 3.0) -> None:
    """After shutdown no task of the bot may still run: one that does would hang the test's
    event loop when it closes. Cancel any that is left, and if one will not end, fail with
    its stack (so that the cause shows, rather than a two-minute timeout)."""
    current = asyncio.current_task()
    left = [
        task
        for task in asyncio.all_tasks()
        if task is not current
        and not task.done()
        and task.get_coro().cr_code.co_filename.startswith(BOT_CODE)  # type: ignore[union-attr]
    ]
    for task in left:
        task.cancel()
    if left:
        await asyncio.wait(left, timeout=timeout)
    stuck = [task for task in left if not task.done()]
    if stuck:
        out = io.StringIO()
        for task in stuck:
            task.print_stack(file=out)
        report = f"bot tasks still running after shutdown:\n{out.getvalue()}"
        print(report, file=sys.stderr)  # shown even if the loop then hangs on the task
        raise AssertionError(report)


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
    except BaseException:
        sock.close()
        raise
    return sock
