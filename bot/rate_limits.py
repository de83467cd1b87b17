"""Slack's Web API rate limits, and a pacer that keeps the bot's calls within them.

Slack limits every Web API method "per method, per app, per workspace" by tier
(https://docs.slack.dev/apis/web-api/rate-limits): Tier 1 allows 1+ calls a minute, Tier 2
20+, Tier 3 50+, Tier 4 100+, each "allowing for occasional bursts". `chat.postMessage` is
a special tier: "one message per second per channel", short bursts allowed, plus a
workspace-wide limit. A method's tier is on its reference page
(https://docs.slack.dev/reference/methods/<method>). Over budget, Slack answers HTTP 429
with `Retry-After: <seconds>` and `{"ok": false, "error": "ratelimited"}`.

`TIERS` is the one table of the methods the bot (and the fake Slack in sandbox/slack,
which enforces it when asked to) uses. Each budget is a sliding window, "at most `calls`
in any `seconds`": the lower bound Slack promises, so the bot never relies on a burst.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Budget:
    """At most `calls` calls in any window of `seconds`."""

    calls: int
    seconds: float


TIER_BUDGETS: dict[int, Budget] = {
    1: Budget(1, 60),
    2: Budget(20, 60),
    3: Budget(50, 60),
    4: Budget(100, 60),
}
# "One message per second per channel; short bursts >1 allowed": we allow a burst of 5 (a
# new incident channel gets its card and first messages at once), 1/s on average. Slack's
# workspace-wide limit on chat.postMessage ("several hundred a minute") is not modelled.
POST_MESSAGE_PER_CHANNEL = Budget(5, 5)
POST_MESSAGE = "chat.postMessage"
# auth.test is "special" with a generous limit: the health probe and the identity lookup
# must never queue behind anything, so it is not paced.
UNPACED = frozenset({"auth.test"})
DEFAULT_TIER = 3  # a method missing from the table: assume Tier 3 (most reads are)

TIERS: dict[str, int] = {
    "apps.connections.open": 1,
    "bookmarks.add": 2,
    "conversations.archive": 2,
    "conversations.create": 2,
    "conversations.list": 2,
    "conversations.setPurpose": 2,
    "conversations.setTopic": 2,
    "conversations.unarchive": 2,
    "pins.add": 2,
    "pins.list": 2,
    "pins.remove": 2,
    "users.list": 2,
    "chat.delete": 3,
    "chat.update": 3,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.invite": 3,
    "conversations.join": 3,
    "conversations.kick": 3,
    "conversations.leave": 3,
    "conversations.members": 3,
    "conversations.replies": 3,
    "reactions.add": 3,
    "users.lookupByEmail": 3,
    "chat.getPermalink": 4,
    "chat.postEphemeral": 4,
    "users.info": 4,
    "views.open": 4,
    "views.publish": 4,
    "views.push": 4,
    "views.update": 4,
}


def budget_for(method: str, channel: str | None = None) -> tuple[str, Budget] | None:
    """The budget a call draws from and its key (per method; per channel for posts), or
    None for a call that is not limited."""
    if method in UNPACED:
        return None
    if method == POST_MESSAGE:
        return f"{method}:{channel or ''}", POST_MESSAGE_PER_CHANNEL
    return method, TIER_BUDGETS[TIERS.get(method, DEFAULT_TIER)]


class Timebase(Protocol):
    """Monotonic seconds and a way to wait for them: real, or moved by a test."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` on this timebase."""
        ...


class RealTimebase:
    """The process's monotonic clock and asyncio's sleep."""

    def now(self) -> float:
        """Seconds since some fixed point (time.monotonic)."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Wait for real."""
        await asyncio.sleep(seconds)


class ManualTimebase:
    """Time that moves only when a test says so; sleepers wake as it passes their deadline."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._order = itertools.count()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    def now(self) -> float:
        """The current manual time."""
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Wait until `advance` has moved time past `seconds` from now."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), future))
        await future

    @property
    def next_deadline(self) -> float | None:
        """When the earliest sleeper wakes (None: nobody sleeps)."""
        self._forget_cancelled()
        return self._sleepers[0][0] if self._sleepers else None

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has come, earliest first."""
        self._now += seconds
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    def advance_to_next(self) -> bool:
        """Jump to the earliest sleeper's deadline and wake it; False if nobody sleeps."""
        deadline = self.next_deadline
        if deadline is None:
            return False
        self.advance(max(0.0, deadline - self._now))
        return True

    def _forget_cancelled(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)


@dataclass
class Pacer:
    """Per-process budgets for the bot's Web API calls: each call waits for its turn.

    Calls to one budget go in the order they asked (FIFO); a method Slack answered 429 waits
    out its Retry-After before its next call, without holding up any other method.
    `by_tier=False` keeps only the Retry-After holds.
    """

    timebase: Timebase = field(default_factory=RealTimebase)
    by_tier: bool = True
    waits: int = 0  # calls that had to wait for their turn
    rate_limited: int = 0  # 429s Slack gave this process
    in_flight: int = 0  # calls given their turn and not answered yet
    _sent: defaultdict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _held_until: dict[str, float] = field(default_factory=dict)
    _turns: defaultdict[str, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )

    async def turn(self, method: str, channel: str | None = None) -> None:
        """Wait until a call to `method` (in `channel`, for posts) is within its budget."""
        found = budget_for(method, channel)
        if found is None:
            return
        key, budget = found
        async with self._turns[key]:
            waited = False
            while (wait := self._wait(key, budget)) > 0:
                waited = True
                await self.timebase.sleep(wait)
            self.waits += waited
            if self.by_tier:
                self._sent[key].append(self.timebase.now())

    @asynccontextmanager
    async def call(self, method: str, channel: str | None = None) -> AsyncIterator[None]:
        """Around one Web API call: wait for its turn, and count it in flight until answered."""
        await self.turn(method, channel)
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    def hold(self, method: str, channel: str | None, seconds: float) -> None:
        """Slack said 429: no call to this budget for `seconds`."""
        found = budget_for(method, channel)
        key = found[0] if found else method
        self.rate_limited += 1
        until = self.timebase.now() + seconds
        self._held_until[key] = max(self._held_until.get(key, until), until)

    def _wait(self, key: str, budget: Budget) -> float:
        now = self.timebase.now()
        wait = self._held_until.get(key, now) - now
        if self.by_tier:
            sent = self._sent[key]
            while sent and sent[0] <= now - budget.seconds:
                sent.popleft()
            if len(sent) >= budget.calls:
                wait = max(wait, sent[0] + budget.seconds - now)
        return wait
