"""A running sandbox (the bot and its built-in workspace on one port) and a page-like client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio

from bot.settings import Settings
from sandbox.app import RunningSandbox, start_sandbox
from tests.harness import copy_migrated_sqlite, free_port


def sandbox_settings(database: Path, **overrides: Any) -> Settings:
    """Settings as from a fresh `.env`-less machine: the sandbox fills in Slack's."""
    values: dict[str, Any] = {
        "slack_bot_token": "unused",
        "slack_signing_secret": "unused",
        "database_url": f"sqlite:///{database}",
        "port": free_port(),
        "slack_pacing": False,
        "log_level": "DEBUG",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Page:
    """What the sandbox page does, over the same HTTP API."""

    def __init__(self, running: RunningSandbox, http: aiohttp.ClientSession) -> None:
        self.running = running
        self.http = http
        self.url = running.url

    @property
    def workspace(self) -> Any:
        return self.running.workspace

    async def post(self, route: str, **body: Any) -> tuple[int, dict[str, Any]]:
        async with self.http.post(f"{self.url}ui/{route}", json=body) as response:
            return response.status, await response.json()

    async def state(self, user: str = "U_ALICE", channel: str | None = None) -> dict[str, Any]:
        query = {"user": user, **({"channel": channel} if channel else {})}
        async with self.http.get(f"{self.url}ui/state", params=query) as response:
            assert response.status == 200, await response.text()
            return dict(await response.json())

    async def type(self, text: str, *, user: str = "U_ALICE", channel: str = "C0002") -> None:
        status, answer = await self.post("command", user=user, channel=channel, text=text)
        assert (status, answer["ok"]) == (200, True), answer

    async def wait_for(self, predicate: Any, message: str = "", timeout: float = 10.0) -> None:
        await self.workspace.wait_for(predicate, timeout=timeout, message=message)


async def start_page(database: Path, **overrides: Any) -> tuple[RunningSandbox, Page]:
    running = await start_sandbox(sandbox_settings(database, **overrides), host="127.0.0.1")
    return running, Page(running, aiohttp.ClientSession())


@pytest_asyncio.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    """A sandbox on a fresh SQLite file, and the page's client."""
    database = tmp_path / "incidents.db"
    copy_migrated_sqlite(database)
    running, client = await start_page(database)
    try:
        yield client
    finally:
        await client.http.close()
        await running.close()
