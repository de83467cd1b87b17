"""What every service needs, built once at startup and passed explicitly."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections import defaultdict
from dataclasses import dataclass, field

from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock, utcnow
from bot.intake import Intake
from bot.settings import Settings
from playbooks.model import Pack
from storage.db import Database


@dataclass
class Runtime:
    """Settings, database, Slack client, the active pack and a clock."""

    settings: Settings
    db: Database
    client: AsyncWebClient
    pack: Pack
    clock: Clock = utcnow
    # Display refreshes of one incident run one at a time, so an older render never wins.
    display_locks: defaultdict[str, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    setup_locks: defaultdict[str, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    background: set[asyncio.Task[None]] = field(default_factory=set)
    setting_up: set[str] = field(default_factory=set)  # incidents whose setup lease we hold
    posting: set[int] = field(default_factory=set)  # outbox posts being delivered here

    in_flight: set[asyncio.Task[object]] = field(default_factory=set)
    identity: dict[str, str] = field(default_factory=dict)
    _identity_turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    _identity_retry_at: float = 0.0
    slack_state: str = "ok"  # "ok", "unreachable", or Slack's error for a bad token
    announcement_channel_id: str | None = None
    probe_client: AsyncWebClient | None = None
    intake: Intake = field(init=False)
    # This process among the replicas: the owner of the leases it takes.
    replica: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    )

    def __post_init__(self) -> None:
        self.intake = Intake(db=self.db, clock=lambda: self.clock())

    async def bot_identity(self) -> dict[str, str]:
        """The bot's user, bot and team IDs from auth.test (cached; empty if Slack is down).

        One call at a time (a burst of requests must not each call auth.test before their
        ack), no retries, and after a failure no new try for a few seconds.
        """
        if self.identity:
            return self.identity
        async with self._identity_turn:
            loop = asyncio.get_running_loop()
            if self.identity or loop.time() < self._identity_retry_at:
                return self.identity
            try:
                client = self.probe_client or self.client
                response = await asyncio.wait_for(client.auth_test(), timeout=2)
            except Exception:  # noqa: BLE001 - callers cope without the identity
                self._identity_retry_at = loop.time() + 5
                return {}
            self.identity.update(
                bot_user_id=response.get("user_id", ""),
                bot_id=response.get("bot_id", ""),
                team_id=response.get("team_id", ""),
            )
        return self.identity

    def known_identity(self) -> dict[str, str]:
        """The bot's identity if known, without waiting: an ack must never wait on Slack.

        When it is not known yet (Slack was down at startup), one lookup starts in the
        background for the next request.
        """
        if not self.identity and not self._identity_turn.locked():
            self.spawn(self.bot_identity(), name="identity")
        return self.identity

    def track_current(self) -> None:
        """Count the running listener as in flight, so shutdown waits for it."""
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)

    async def drain(self, timeout: float) -> None:
        """Wait (up to `timeout`) for listeners that were acknowledged but not finished."""
        current = asyncio.current_task()
        pending = [t for t in self.in_flight if t is not current and not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def stop_loops(self, names: tuple[str, ...]) -> None:
        """Cancel the named background loops and wait for them to end."""
        loops = [task for task in self.background if task.get_name() in names]
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)

    async def cancel_all(self, timeout: float) -> None:
        """Cancel every listener and background task still running, and wait for them.

        Nothing may touch the database after it is closed: a task left running would hang
        on a connection that no longer exists.
        """
        current = asyncio.current_task()
        tasks = [
            task
            for task in (*self.in_flight, *self.background, *self.intake.tasks())
            if task is not current and not task.done()
        ]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    def spawn(self, coro: object, *, name: str) -> None:
        """Run a coroutine in the background and keep a reference until it ends."""
        task = asyncio.create_task(coro, name=name)  # type: ignore[arg-type]
        self.background.add(task)
        task.add_done_callback(self.background.discard)
