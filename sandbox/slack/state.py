"""The fake workspace: users, channels, messages, views and injected faults."""

from __future__ import annotations

import asyncio
import itertools
import math
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import Any, Literal, get_args

from bot.rate_limits import budget_for

from .models import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    JSON,
    PERMALINK_HOST,
    TEAM_DOMAIN,
    TEAM_ID,
    Call,
    Channel,
    Ephemeral,
    Message,
    ResponseUrl,
    Trigger,
    User,
    View,
)
from .validation import TRIGGER_RE

FaultMode = Literal["drop", "hang", "drop_before"]
FAULT_MODES: tuple[str, ...] = get_args(FaultMode)

SEED_USERS = [
    ("U_ALICE", "alice", "Alice"),
    ("U_BOB", "bob", "Bob"),
    ("U_CAROL", "carol", "Carol"),
    ("U_DAVE", "dave", "Dave"),
]


class Workspace:
    """All state of the fake Slack workspace; the server classes only read and mutate it."""

    def __init__(
        self,
        bot_token: str,
        app_token: str,
        latency: float = 0.0,
        scopes: Iterable[str] = (),
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.latency = latency
        self.scopes: set[str] = set(scopes)
        self.hang_seconds = 12.0
        self.stopping = asyncio.Event()
        self.down = False
        self.trigger_ttl: float | None = None
        self.team_id, self.team_domain = TEAM_ID, TEAM_DOMAIN
        self.app_id, self.bot_id, self.bot_user_id = APP_ID, BOT_ID, BOT_USER_ID
        self.verification_token = "fake-verification-token"
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, View] = {}
        self.calls: list[Call] = []
        self.tickets: set[str] = set()
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self._failures: dict[str, list[str]] = {}
        self._rate_limits: dict[str, list[int]] = {}
        self._faults: dict[str, list[FaultMode]] = {}
        self.rate_limits = False
        self.rate_clock: Callable[[], float] = time.monotonic
        self._windows: defaultdict[str, deque[float]] = defaultdict(deque)
        self._seq = itertools.count(1)
        self._ts_base_us = int(time.time()) * 1_000_000
        self.base_url = ""
        self._waiters: set[asyncio.Future[None]] = set()
        self.revision = 0
        # When set (the sandbox), message timestamps follow this clock (seconds since the
        # epoch), so messages posted after the time control moved show the moved time.
        self.ts_clock: Callable[[], float] | None = None
        self._last_ts_us = 0
        self._seed()

    def _seed(self) -> None:
        self.add_user(
            BOT_USER_ID,
            "incidentbot",
            real_name="Incident Bot",
            is_bot=True,
            bot_id=BOT_ID,
            app_id=APP_ID,
        )
        for user_id, name, real_name in SEED_USERS:
            self.add_user(user_id, name, real_name=real_name, email=f"{name}@example.com")
        everyone = list(self.users)
        self.add_channel("general", members=everyone)
        self.add_channel("incidents", members=everyone)

    # ---- waiting for a change --------------------------------------------------------------

    def changed(self) -> None:
        """Wake everything waiting in `next_change` (a request was handled, an ack came in)
        and move `revision` on, so a page polling the workspace knows to redraw."""
        self.revision += 1
        running = _running_loop()
        for waiter in list(self._waiters):
            loop = waiter.get_loop()
            if loop is running:
                _wake(waiter)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_wake, waiter)

    async def next_change(self, timeout: float) -> None:
        """Return at the next `changed()`, or after `timeout` seconds at the latest."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(timeout, _wake, waiter)
        self._waiters.add(waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiters.discard(waiter)

    # ---- keeping the workspace across restarts (the sandbox) ----------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What a restarted sandbox needs to show the same workspace: people, channels with
        their messages, views, ephemerals, and where the ids and timestamps had got to."""
        return {
            "users": self.users,
            "channels": self.channels,
            "views": self.views,
            "ephemerals": self.ephemerals,
            "seq": next(self._seq),
            "ts_base_us": self._ts_base_us,
            "last_ts_us": self._last_ts_us,
        }

    def restore(self, saved: dict[str, Any]) -> None:
        """Take back a `snapshot`."""
        self.users, self.channels = saved["users"], saved["channels"]
        self.views, self.ephemerals = saved["views"], saved["ephemerals"]
        self._seq = itertools.count(saved["seq"] + 1)
        self._ts_base_us, self._last_ts_us = saved["ts_base_us"], saved["last_ts_us"]
        self.changed()

    # ---- ids -------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """Return a fresh workspace-unique id such as "C0003" or "V0004"."""
        return f"{prefix}{next(self._seq):04d}"

    def next_ts(self) -> str:
        """Return a fresh message ts, unique and strictly increasing."""
        micros = self._ts_base_us + next(self._seq) * 100
        if self.ts_clock is not None:
            micros = max(int(self.ts_clock() * 1_000_000), self._last_ts_us + 100)
            self._last_ts_us = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # ---- users and channels ----------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
        bot_id: str | None = None,
        app_id: str | None = None,
    ) -> User:
        """Add (or replace) a workspace user; a bot gets its own bot_id and app_id."""
        user = User(user_id, name, real_name or name.title(), email, is_bot=is_bot)
        if is_bot:
            user.bot_id = bot_id or self.new_id("B")
            user.app_id = app_id or self.new_id("A")
        self.users[user_id] = user
        return user

    def deactivate(self, user_id: str) -> User:
        """Deactivate a user: users.info then shows `"deleted": true`; invites fail."""
        user = self.users[user_id]
        user.deleted = True
        return user

    def add_channel(
        self,
        name: str,
        members: Iterable[str] | None = None,
        is_private: bool = False,
        *,
        channel_id: str | None = None,
        topic: str = "",
        purpose: str = "",
    ) -> Channel:
        """Add a channel; `members=None` means just the bot, a list is used as given."""
        channel = Channel(
            id=channel_id or self.new_id("C"),
            name=name,
            topic=topic,
            purpose=purpose,
            members=set([self.bot_user_id] if members is None else members),
            is_private=is_private,
            created=int(time.time()),
        )
        self.channels[channel.id] = channel
        return channel

    def channel_by_name(self, name: str) -> Channel | None:
        """Find a channel by name ("incidents" or "#incidents"), archived ones included."""
        name = name.removeprefix("#")
        return next((c for c in self.channels.values() if c.name == name), None)

    def resolve_channel(self, ref: str) -> Channel | None:
        """Find a channel by id, falling back to its name."""
        return self.channels.get(ref) or self.channel_by_name(ref)

    def messages(self, channel: str) -> list[Message]:
        """Live (not deleted) messages of a channel given by id or name, oldest first."""
        found = self.resolve_channel(channel)
        if found is None:
            raise KeyError(
                f"no channel {channel!r}; known: {[c.name for c in self.channels.values()]}"
            )
        return [m for m in found.messages if not m.deleted]

    def find_message(self, channel_id: str | None, ts: str | None) -> Message | None:
        """Return the live message `ts` in channel `channel_id`, if any."""
        channel = self.channels.get(channel_id or "")
        return channel.message(ts) if channel and ts else None

    def ephemeral(self, user_id: str | None, ts: str | None) -> Ephemeral | None:
        """The ephemeral message with this ts shown to this person, if any."""
        return next((e for e in self.ephemerals if e.user == user_id and e.ts == ts), None)

    def post_message(
        self, channel: Channel, user: str, text: str, blocks: list[JSON], **extra: Any
    ) -> Message:
        """Append a message to a channel and return it."""
        msg = Message(self.next_ts(), channel.id, user, text, blocks, **extra)
        channel.messages.append(msg)
        return msg

    def post_as(
        self, channel_id: str, user: str, text: str, *, files: Iterable[str] = ()
    ) -> Message:
        """A person posts a message (with files, by name, uploaded with it)."""
        channel = self.channels[channel_id]
        uploads = [self._file(user, name) for name in files]
        return self.post_message(channel, user, text, [], files=uploads)

    def _file(self, user: str, name: str) -> JSON:
        """A file object as messages carry it (`files[]`)."""
        file_id = self.new_id("F")
        return {
            "id": file_id,
            "name": name,
            "title": name,
            "user": user,
            "mimetype": "image/png" if name.endswith(".png") else "application/octet-stream",
            "url_private": f"{PERMALINK_HOST}/files-pri/{self.team_id}-{file_id}/{name}",
            "permalink": f"{PERMALINK_HOST}/files/{user}/{file_id}/{name}",
        }

    def react(self, channel_id: str, ts: str, user: str, name: str = "pushpin") -> JSON:
        """A person adds an emoji reaction: recorded on the message, and the
        `reaction_added` event Slack sends for it (deliver it with `Bot.event`)."""
        message = self.find_message(channel_id, ts)
        if message is None:
            raise KeyError(f"no message {ts} in {channel_id}")
        users = message.reactions.setdefault(name, [])
        if user not in users:  # Slack keeps one reaction per person and emoji
            users.append(user)
        return {
            "type": "reaction_added",
            "user": user,
            "reaction": name,
            "item": {"type": "message", "channel": channel_id, "ts": ts},
            "item_user": message.user,
            "event_ts": self.next_ts(),
        }

    def permalink(self, channel_id: str, ts: str) -> str:
        """Build the message permalink Slack would return."""
        return f"{PERMALINK_HOST}/archives/{channel_id}/p{ts.replace('.', '')}"

    # ---- triggers and response urls --------------------------------------------------------

    def home_of(self, user_id: str) -> JSON | None:
        """The Home view last published for a user (`views.publish`), or None."""
        view = self.home_view(user_id)
        return None if view is None else view.view

    def home_view(self, user_id: str) -> View | None:
        """The user's Home tab view record (its id names it in block_actions), or None."""
        for view in self.views.values():
            if view.type == "home" and view.user == user_id:
                return view
        return None

    def new_trigger_id(self, user_id: str | None = None) -> str:
        """Issue a fresh, unused trigger_id (optionally bound to the user who 'clicked')."""
        trigger_id = f"{next(self._seq)}.{1000 + next(self._seq)}.{uuid.uuid4().hex}"
        self.triggers[trigger_id] = Trigger(trigger_id, user_id, time.monotonic())
        return trigger_id

    def use_trigger(self, trigger_id: Any) -> tuple[str | None, Trigger | None]:
        """Consume a trigger_id: return (error_code, None) or (None, trigger)."""
        if not isinstance(trigger_id, str) or not TRIGGER_RE.match(trigger_id):
            return "invalid_arguments", None
        trigger = self.triggers.setdefault(trigger_id, Trigger(trigger_id, None, time.monotonic()))
        expired = (
            self.trigger_ttl is not None and time.monotonic() - trigger.issued > self.trigger_ttl
        )
        if trigger.used or expired:
            return "expired_trigger_id", None
        trigger.used = True
        return None, trigger

    def new_response_url(
        self,
        channel_id: str | None = None,
        user_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """Issue a response_url on this server bound to a channel, user and message."""
        if not self.base_url:
            raise RuntimeError("start the fake before asking for response URLs")
        binding = ResponseUrl(uuid.uuid4().hex, channel_id, user_id, message_ts)
        self.response_urls[binding.id] = binding
        return f"{self.base_url}/response/{binding.id}"

    def response_posts(self, url: str) -> list[JSON]:
        """JSON bodies POSTed to a response_url (given as the URL or its id)."""
        binding = self.response_urls.get(url.rstrip("/").rsplit("/", 1)[-1])
        if binding is None:
            raise KeyError(f"unknown response_url {url!r}")
        return binding.posts

    # ---- fault injection and call log -----------------------------------------------------

    def fail_next(self, method: str, error: str, times: int = 1) -> None:
        """Make the next `times` calls to `method` answer {"ok": false, "error": error}."""
        self._failures.setdefault(method, []).extend([error] * times)

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Make the next `times` calls to `method` answer HTTP 429 with Retry-After."""
        self._rate_limits.setdefault(method, []).extend([retry_after] * times)

    def fault_next(self, method: str, mode: FaultMode, times: int = 1) -> None:
        """Lose the reply of the next `times` calls to `method`.

        "drop": perform the call, then close the connection without an answer; "hang": perform
        it, then answer nothing for `hang_seconds` (or until stop) and close; "drop_before":
        close the connection without performing the call.
        """
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; use one of {FAULT_MODES}")
        self._faults.setdefault(method, []).extend([mode] * times)

    def take_fault(self, method: str) -> FaultMode | None:
        """Pop the next injected connection fault for `method`, if any."""
        queue = self._faults.get(method)
        return queue.pop(0) if queue else None

    def take_failure(self, method: str) -> str | None:
        """Pop the next injected error for `method`, if any."""
        queue = self._failures.get(method)
        return queue.pop(0) if queue else None

    def take_rate_limit(self, method: str) -> int | None:
        """Pop the next injected Retry-After for `method`, if any."""
        queue = self._rate_limits.get(method)
        return queue.pop(0) if queue else None

    def enforce_rate_limits(
        self, on: bool = True, *, clock: Callable[[], float] | None = None
    ) -> None:
        """Answer 429 with Retry-After to calls over Slack's budgets (bot.rate_limits: per
        method by tier over a sliding minute; chat.postMessage per channel).

        `clock` gives the seconds the windows are measured in (default: time.monotonic), so
        a test can move time instead of sleeping. A call answered 429 does not count.
        """
        self.rate_limits = on
        if clock is not None:
            self.rate_clock = clock
        self._windows.clear()

    def take_tier_limit(self, method: str, channel: str | None) -> int | None:
        """When enforcing: count this call, or return the Retry-After if over budget."""
        if not self.rate_limits:
            return None
        if channel is not None:
            found_channel = self.resolve_channel(channel)
            channel = found_channel.id if found_channel else channel
        found = budget_for(method, channel)
        if found is None:
            return None
        key, budget = found
        now = self.rate_clock()
        window = self._windows[key]
        while window and window[0] <= now - budget.seconds:
            window.popleft()
        if len(window) >= budget.calls:
            return max(1, math.ceil(window[0] + budget.seconds - now))
        window.append(now)
        return None

    @property
    def ratelimited(self) -> int:
        """How many calls were answered 429 (tier limits and `rate_limit_next` alike)."""
        return sum(1 for c in self.calls if c.status == 429)

    def calls_to(self, method: str) -> list[Call]:
        """All recorded Web API calls to `method`, in completion order."""
        return [c for c in self.calls if c.method == method]


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
