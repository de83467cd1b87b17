"""Health that tells the truth: a refused token, an unreachable database and a database that
cannot write are named as such, at startup (one line, exit 2) and in /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

import bot.server
from sandbox.slack import FakeSlack, slash_command_form
from tests.harness import free_port, running_bot
from tests.processes import BotProcess, bot_env


async def health(bot) -> dict:
    async with bot.http.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
        return await response.json()


async def slack_is(bot, expected: str, timeout: float = 5.0) -> None:
    """Wait until /healthz reports this Slack state (the probe runs on its own loop)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (state := (await health(bot))["slack"]) != expected:
        assert loop.time() < deadline, f"/healthz still says slack={state!r}, not {expected!r}"
        await asyncio.sleep(0.01)


@contextmanager
def fake_slack_in_a_thread() -> Iterator[FakeSlack]:
    """A fake Slack served from its own event loop in a thread, for a module's processes."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeSlack()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="module")
def refused_starts(tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    """`python -m bot` with a refused bot token, a refused app token and an unreachable
    database: real processes that must exit at startup. Most of each one's time is the
    interpreter importing the bot, so the three are started side by side, once."""
    with fake_slack_in_a_thread() as fake:
        envs = {}
        for name in ("bot_token", "app_token", "database"):
            url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'bot.db'}"
            envs[name] = bot_env(fake, url, "default", port=free_port())
        envs["bot_token"]["SLACK_BOT_TOKEN"] = "xoxb-not-the-right-one"
        envs["app_token"]["SLACK_APP_TOKEN"] = "xapp-not-the-right-one"
        envs["database"]["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none"
        started = {
            name: subprocess.Popen(
                [sys.executable, "-m", "bot"],
                env=env,
                cwd=tmp_path_factory.getbasetemp(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name, env in envs.items()
        }
        results = {}
        for name, process in started.items():
            try:
                stdout, stderr = process.communicate(timeout=60)
            finally:
                process.kill()
            results[name] = subprocess.CompletedProcess(
                process.args, process.returncode, stdout, stderr
            )
        return results


def test_a_token_slack_refuses_stops_the_bot_with_one_line(refused_starts):
    result = refused_starts["bot_token"]
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["incident-bot: SLACK_BOT_TOKEN is invalid: Slack answered invalid_auth"]


def test_an_app_token_slack_refuses_stops_the_bot_with_one_line(refused_starts):
    result = refused_starts["app_token"]
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "incident-bot: SLACK_APP_TOKEN is invalid: Slack answered invalid_auth"
    ]


def test_an_unreachable_database_stops_the_bot_with_one_line(refused_starts):
    result = refused_starts["database"]
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("incident-bot: DATABASE_URL: cannot reach the database (")
    assert "Traceback" not in result.stderr and "nobody" not in line


async def test_healthz_tells_a_refused_token_from_an_unreachable_slack(fake, tmp_path, monkeypatch):
    monkeypatch.setattr(bot.server, "HOUSEKEEPING_SECONDS", 0.05)
    async with running_bot(fake, tmp_path) as running:
        fake.bot_token = "xoxb-revoked"  # every call with the bot's token is now refused
        await slack_is(running, "invalid_auth")
        assert await health(running) == {
            "ok": False, "database": "ok", "slack": "invalid_auth", "mode": "http"
        }  # fmt: skip
        fake.bot_token, fake.down = "xoxb-test", True
        await slack_is(running, "unreachable")


@contextmanager
def tiny_disk(path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted at `path` (needs root, as CI has; skipped otherwise)."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill up: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    """Take every free byte of the disk; returns the filler file."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 4096)
    return filler


async def test_a_full_disk_is_not_called_ok_and_requests_are_not_recorded(fake, tmp_path):
    with tiny_disk(tmp_path / "disk") as disk:
        url = f"sqlite:///{disk / 'bot.db'}"
        async with running_bot(fake, tmp_path, database_url=url) as running:
            assert (await health(running))["database"] == "ok"
            filler = fill(disk)
            body = await health(running)
            assert body["database"] == "read_only" and body["ok"] is False
            status, answer, _ = await running.command("declare sev1 Disk is full")
            assert status == 200 and "Nothing was recorded" in json.loads(answer)["text"]
            filler.unlink()
            assert (await health(running))["database"] == "ok"
            await running.declare("sev1 Disk has room again")


async def test_a_body_that_is_not_utf8_gets_400(bot):
    status, _ = await bot.post(
        b"text=\xff\xfe\xfa", content_type="application/x-www-form-urlencoded"
    )
    assert status == 400


async def test_a_percent_encoded_body_that_is_not_utf8_gets_400(bot):
    form = slash_command_form(bot.fake, text="note x", channel_id="C0001")
    body = urlencode(form).encode().replace(b"note+x", b"note+%FF%FE")
    status, _ = await bot.post(body, content_type="application/x-www-form-urlencoded")
    assert status == 400


async def test_sigterm_exits_within_8_seconds_even_while_slack_hangs(fake, tmp_path):
    process = BotProcess(fake, f"sqlite:///{tmp_path / 'bot.db'}", "default", tmp_path / "b.log")
    await process.start()
    fake.hang_seconds = 60
    fake.fault_next("conversations.create", "hang", times=5)
    assert await process.command("declare sev1 Stuck setup") == 200
    await fake.wait_for(lambda: fake.calls_to("conversations.create"))  # now hanging
    started = time.monotonic()
    code = await asyncio.get_running_loop().run_in_executor(None, process.terminate)
    assert time.monotonic() - started < 8
    assert code == 0


async def test_a_normal_start_logs_no_warning(fake, tmp_path):
    log = tmp_path / "bot.log"
    process = BotProcess(fake, f"sqlite:///{tmp_path / 'bot.db'}", "default", log)
    await process.start()
    code = await asyncio.get_running_loop().run_in_executor(None, process.terminate)
    assert code == 0
    warnings = [line for line in log.read_text().splitlines() if "WARNING" in line]
    assert warnings == []
