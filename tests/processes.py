"""Real bot processes (`python -m bot`) for restart and replica tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from tests.fakeslack import FakeSlack, sign_request, slash_command_form
from tests.harness import SECRET, free_port

ROOT = Path(__file__).resolve().parents[1]


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
        """Start and wait until /healthz answers."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                env=self.env,
                cwd=self.log.parent,
                stdout=out,
                stderr=out,
            )
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                if self.proc.poll() is not None:
                    raise AssertionError(f"bot exited: {self.log.read_text()[-2000:]}")
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
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
