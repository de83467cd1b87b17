"""Real bot processes (`python -m bot`) for restart, kill -9 and shutdown tests.

Starting the interpreter and importing the bot takes most of a process's start (about 1.5 s
of 1.7 s). So a bot process is started from a *spare*: a fresh `python` that has already
imported the bot's modules and waits. Told to go, it takes the bot's environment, working
directory and log, and runs `bot.__main__.main()`, exactly what `python -m bot` runs. It is
still a process of its own, killed with `kill -9` like any other; only its imports are done
before the test needs it. Spares are started when this module is imported (in a test run,
while the tests are collected: they import on the core pytest leaves idle), and topped up
after each start; they exit when the tests end.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import func, update
from sqlmodel import col, select

from sandbox.slack import FakeSlack, sign_request, slash_command_form
from storage.db import Database
from storage.models import InboxItem, Incident, Lease, OutboxPost
from tests.harness import SECRET, free_port

ROOT = Path(__file__).resolve().parents[1]
SPARES = 2  # a restart (or a second replica) should find one ready, not importing
SPARE = """
import contextlib, io, json, os, sys, traceback
said = io.StringIO()  # what importing printed (warnings…) goes to the log, as it would
with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
    try:
        import bot.__main__
        # What main() imports on its way to serving, so none of it is left for the start.
        import bot.logs, bot.server, bot.settings, bot.startup, playbooks.loader
        failed = None
    except BaseException:
        failed = traceback.format_exc()
line = sys.stdin.readline()
if not line:
    sys.exit(0)  # the tests ended without needing this one
go = json.loads(line)
os.environ.clear()
os.environ.update(go["env"])
os.chdir(go["cwd"])
sys.path[0] = go["cwd"]  # as `python -m` puts it
log = os.open(go["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
nothing = os.open(os.devnull, os.O_RDONLY)
os.dup2(log, 1), os.dup2(log, 2), os.dup2(nothing, 0)
os.close(log), os.close(nothing)
sys.stderr.write(said.getvalue())
if failed:
    sys.exit(failed)
sys.exit(bot.__main__.main())
"""
_spares: list[tuple[subprocess.Popen[bytes], dict[str, str]]] = []


def _interpreter_settings(env: dict[str, str]) -> dict[str, str]:
    """What an interpreter fixes when it starts: its own `PYTHON*` variables."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON")}


def top_up_spares() -> None:
    """Start spares until `SPARES` are waiting (they import while the tests go on)."""
    _spares[:] = [(proc, fixed) for proc, fixed in _spares if proc.poll() is None]
    while len(_spares) < SPARES:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-c", SPARE],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _spares.append((proc, _interpreter_settings(env)))


def _run_from_spare(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes] | None:
    """A spare (the oldest that fits) told to run the bot; None when none is waiting."""
    for index, (proc, fixed) in enumerate(_spares):
        if fixed == _interpreter_settings(env) and proc.poll() is None:
            del _spares[index]
            break
    else:
        return None
    go = json.dumps({"env": env, "cwd": str(cwd), "log": str(log)}) + "\n"
    try:
        assert proc.stdin is not None
        proc.stdin.write(go.encode())
        proc.stdin.close()
    except OSError:  # it died meanwhile: the caller starts one the ordinary way
        proc.kill()
        proc.wait()
        return None
    return proc


@atexit.register
def _retire_spares() -> None:
    for proc, _ in _spares:
        proc.kill()
        proc.wait()
    _spares.clear()


top_up_spares()  # so that even the first start of a test run need not import from scratch


def bot_env(
    fake: FakeSlack, database_url: str, pack: str, *, port: int, log_level: str = "INFO"
) -> dict[str, str]:
    """The environment of a `python -m bot` process pointed at the fake Slack."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "PLAYBOOK_PACK": pack,
        "INCIDENTS_CHANNEL": "incidents",
        "LOG_LEVEL": log_level,
        # Pacing to Slack's real per-minute budgets is tested on its own (test_rate_limits,
        # on an injected clock); here it would only stretch bursts into real minutes.
        "SLACK_PACING": "false",
    }


class BotProcess:
    """One bot process on its own port, sharing the fake Slack and a database URL."""

    def __init__(
        self, fake: FakeSlack, database_url: str, pack: str, log: Path, *, socket: bool = False
    ) -> None:
        self.fake = fake
        self.port = free_port()
        self.log = log
        self.env = bot_env(fake, database_url, pack, port=self.port)
        if socket:
            self.env["SLACK_APP_TOKEN"] = fake.app_token
            del self.env["SLACK_SIGNING_SECRET"]
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        """Start (from a spare when one fits) and wait until /healthz answers."""
        self.proc = _run_from_spare(self.env, self.log.parent, self.log)
        if self.proc is None:
            with self.log.open("ab") as out:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "bot"],
                    env=self.env,
                    cwd=self.log.parent,
                    stdout=out,
                    stderr=out,
                )
        async with aiohttp.ClientSession() as http:
            for _ in range(1000):
                if self.proc.poll() is not None:
                    raise AssertionError(f"bot exited: {self.log.read_text()[-2000:]}")
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            top_up_spares()  # for the next start, while this test goes on
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.02)
        raise AssertionError("bot did not become healthy")

    def kill(self) -> None:
        """kill -9."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self) -> int | None:
        """SIGTERM and wait; returns the exit code."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(15)
        return self.proc.returncode if self.proc else None

    async def command(self, text: str, *, user: str = "U_ALICE", channel: str | None = None) -> int:
        """Send a signed `/incident` command; returns the HTTP status."""
        return (await self.command_answer(text, user=user, channel=channel))[0]

    async def command_answer(
        self, text: str, *, user: str = "U_ALICE", channel: str | None = None
    ) -> tuple[int, str]:
        """Send a signed `/incident` command; returns the HTTP status and the ack's body."""
        channel = channel or self.fake.channel_by_name("general").id
        form = slash_command_form(self.fake, text=text, user_id=user, channel_id=channel)
        body = urlencode(form).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign_request(body, SECRET),
        }
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"http://127.0.0.1:{self.port}/slack/events", data=body, headers=headers
            ) as response:
                return response.status, await response.text()


async def leases_run_out(url: str, dead: BotProcess) -> dict[str, int]:
    """Stand in for the wait after a `kill -9`: the leases the dead process held run out now.

    A lease is a deadline in the database; the bot never tells a dead process from a slow one
    except by that deadline passing. So instead of waiting 10-15 s, the test moves the
    deadlines of the work left behind (deliveries being handled, setups, owed posts, named
    leases) to the past, as they would be once that time had gone by. Call it only after the
    kill: then every unexpired lease is the dead process's (a surviving replica takes over
    only what has run out, and setups are matched by the dead process's owner ID). A timer
    leased for a firing is left alone: nothing tells it from a timer planned for that time.

    Returns how many of each ran out, so a test can show the kill did cut work off.
    """
    assert dead.proc is not None and dead.proc.poll() is not None, "only a dead process's"
    past = datetime.now(UTC) - timedelta(seconds=1)
    owner = f"%:{dead.proc.pid}:%"  # replica IDs are host:pid:random
    statements = {
        "deliveries": update(InboxItem)
        .where(col(InboxItem.state) == "pending", col(InboxItem.lease_until) > past)
        .values(lease_until=past),
        "posts": update(OutboxPost)
        .where(col(OutboxPost.posted).is_(False), col(OutboxPost.lease_until) > past)
        .values(lease_until=past),
        "setups": update(Incident)
        .where(col(Incident.setup_owner).like(owner), col(Incident.setup_lease_until) > past)
        .values(setup_lease_until=past),
        "leases": update(Lease)
        .where(col(Lease.owner).like(owner), col(Lease.until) > past)
        .values(until=past),
    }
    database = Database(url)
    try:
        async with database.transaction() as session:
            return {
                name: (await session.exec(statement)).rowcount  # type: ignore[attr-defined]
                for name, statement in statements.items()
            }
    finally:
        await database.dispose()


async def work_left(database: Database) -> dict[str, int]:
    """What the bot still owes: deliveries not handled, setups not finished, posts not made."""
    async with database.reader() as session:
        count = select(func.count())
        inbox = await session.exec(
            count.select_from(InboxItem).where(col(InboxItem.state) == "pending")
        )
        setups = await session.exec(
            count.select_from(Incident).where(col(Incident.setup_state) != "ready")
        )
        posts = await session.exec(
            count.select_from(OutboxPost).where(col(OutboxPost.posted).is_(False))
        )
        return {"deliveries": inbox.one(), "setups": setups.one(), "posts": posts.one()}


async def wait_until_done(url: str, timeout: float = 30.0) -> None:
    """Wait until nothing is owed any more (so nothing more will be posted), or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    database = Database(url)
    try:
        while any((left := await work_left(database)).values()):
            if loop.time() > deadline:
                raise AssertionError(f"work still owed after {timeout}s: {left}")
            await asyncio.sleep(0.05)
    finally:
        await database.dispose()
