"""The Slack gateway: the Web API clients and what the bot knows about Slack itself."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from aiohttp import BasicAuth, FormData
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.rate_limits import POST_MESSAGE, Pacer, RealTimebase, Timebase
from bot.settings import Settings

# After a lost reply Slack may have posted, so a blind retry could post twice: posts are
# retried by bot.services.posts, which first looks for the earlier post. (A repeated
# conversations.create is safe: `name_taken` makes the bot adopt the channel it made.)
NOT_BLINDLY_RETRIED = frozenset({"chat.postMessage"})


class UnlessItCreates(AsyncRetryHandler):
    """Retry connection errors and 5xx only for calls that are safe to repeat."""

    def __init__(self, inner: AsyncRetryHandler) -> None:
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self.inner = inner

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").rsplit("/", 1)[-1] in NOT_BLINDLY_RETRIED:
            return False
        return await self.inner._can_retry_async(
            state=state, request=request, response=response, error=error
        )


RATE_LIMIT_RETRIES = 3  # after these, the 429 is raised (and the method still waits it out)


class PacedWebClient(AsyncWebClient):
    """An AsyncWebClient whose every call first waits for its turn in `pacer` (Slack's tier
    of the method; per channel for posts). A call answered 429 holds its method for the
    Retry-After, then is tried again (`RATE_LIMIT_RETRIES` times); other methods go on.
    """

    def __init__(self, *, pacer: Pacer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pacer = pacer

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | FormData | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | BasicAuth | None = None,
    ) -> AsyncSlackResponse:
        """Call `api_method` within its budget, waiting out Slack's 429s."""
        channel = _channel_of(params, data, json) if api_method == POST_MESSAGE else None
        for attempt in itertools.count():
            async with self.pacer.call(api_method, channel):
                try:
                    return await super().api_call(
                        api_method,
                        http_verb=http_verb,
                        files=files,
                        data=data,
                        params=params,
                        json=json,
                        headers=headers,
                        auth=auth,  # type: ignore[arg-type]
                    )
                except SlackApiError as error:
                    if error.response.status_code != 429:
                        raise
                    self.pacer.hold(api_method, channel, _retry_after(error.response))
                    if attempt >= RATE_LIMIT_RETRIES:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover


def _channel_of(*sources: object) -> str | None:
    for source in sources:
        if isinstance(source, dict) and source.get("channel"):
            return str(source["channel"])
    return None


def _retry_after(response: Any) -> float:
    """Seconds from a 429's Retry-After header (1 if it is missing or unreadable)."""
    headers = response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(str(value)))
    except (TypeError, ValueError):
        return 1.0


def make_client(
    settings: Settings, *, retries: bool = True, timebase: Timebase | None = None
) -> AsyncWebClient:
    """The Web API client: every call goes to SLACK_API_URL, with retries for 429s and 5xx.

    With SLACK_PACING (the default) calls are paced by Slack's rate tiers on `timebase`
    (the real clock unless a test passes its own), and a 429 holds only its own method.
    Without retries (the health probe) nothing is paced or retried.
    """
    common: dict[str, Any] = {
        "token": settings.slack_bot_token.get_secret_value(),
        "base_url": settings.slack_api_url,
        "timeout": 10,
    }
    if not retries:
        return AsyncWebClient(**common, retry_handlers=[])
    connection = UnlessItCreates(AsyncConnectionErrorRetryHandler(max_retry_count=2))
    server = UnlessItCreates(AsyncServerErrorRetryHandler(max_retry_count=2))
    if settings.slack_pacing:
        pacer = Pacer(timebase or RealTimebase())
        return PacedWebClient(pacer=pacer, **common, retry_handlers=[connection, server])
    rate_limit = AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)
    return AsyncWebClient(**common, retry_handlers=[connection, rate_limit, server])


class SlackGateway:
    """Slack's Web API (`client`, retrying; `probe_client`, not retrying), the bot's own
    identity from auth.test, the announcement channel's ID once found, and Slack's state
    as the health probe last saw it (`ok`, `unreachable`, or Slack's error for a bad token).
    """

    def __init__(self, client: AsyncWebClient, probe_client: AsyncWebClient | None = None):
        self.client = client
        self.probe_client = probe_client or client
        self.state = "ok"
        self.announcement_channel_id: str | None = None
        self.named_channels: dict[str, str] = {}  # channels the pack names, by name
        self._identity: dict[str, str] = {}
        self._identity_turn = asyncio.Lock()
        self._identity_retry_at = 0.0
        self._lookups: set[asyncio.Task[dict[str, str]]] = set()

    async def identity(self) -> dict[str, str]:
        """The bot's user, bot and team IDs from auth.test (cached; empty if Slack is down).

        One call at a time (a burst of requests must not each call auth.test before their
        ack), no retries, and after a failure no new try for a few seconds.
        """
        if self._identity:
            return self._identity
        async with self._identity_turn:
            loop = asyncio.get_running_loop()
            if self._identity or loop.time() < self._identity_retry_at:
                return self._identity
            try:
                async with asyncio.timeout(2):  # not wait_for: it can swallow a cancellation
                    response = await self.probe_client.auth_test()
            except Exception:  # noqa: BLE001 - callers cope without the identity
                self._identity_retry_at = loop.time() + 5
                return {}
            self._identity.update(
                bot_user_id=str(response.get("user_id", "")),
                bot_id=str(response.get("bot_id", "")),
                team_id=str(response.get("team_id", "")),
            )
        return self._identity

    def known_identity(self) -> dict[str, str]:
        """The bot's identity if known, without waiting: an ack must never wait on Slack.

        When it is not known yet (Slack was down at startup), one lookup starts in the
        background for the next request.
        """
        if not self._identity and not self._identity_turn.locked():
            task = asyncio.create_task(self.identity(), name="identity")
            self._lookups.add(task)
            task.add_done_callback(self._lookups.discard)
        return self._identity
