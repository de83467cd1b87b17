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

from bot.logs import SLACK_CALL, about
from bot.metrics import Metrics
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
        if _method_of(request.url) in NOT_BLINDLY_RETRIED:
            return False
        return await self.inner._can_retry_async(
            state=state, request=request, response=response, error=error
        )


RATE_LIMIT_RETRIES = 3  # after these, the 429 is raised (and the method still waits it out)


def _method_of(url: str) -> str:
    """The Web API method a request URL calls (`…/api/chat.postMessage`)."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def _error_code(error: SlackApiError) -> str:
    """Slack's error code (`channel_not_found`, `ratelimited`…), else the HTTP status."""
    answer = error.response  # an AsyncSlackResponse; aiohttp's response for an unreadable body
    data = getattr(answer, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    return str(code) if code else f"http_{getattr(answer, 'status_code', 'unreadable')}"


class ObservedWebClient(AsyncWebClient):
    """An AsyncWebClient whose every call goes through `api_call`: counted in `metrics` by
    method and outcome, and named (`SLACK_CALL`) on the log lines written meanwhile.

    The call itself, as slack_sdk makes it with its retry handlers, is `_attempts`, which
    the paced client overrides: retries inside it are one call here.
    """

    def __init__(self, *, metrics: Metrics | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

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
        """Call `api_method`, and count how it ended."""
        request: dict[str, Any] = {
            "http_verb": http_verb,
            "files": files,
            "data": data,
            "params": params,
            "json": json,
            "headers": headers,
            "auth": auth,
        }
        with about(SLACK_CALL, api_method):
            try:
                response = await self._attempts(api_method, request)
            except SlackApiError as error:
                self._count(api_method, _error_code(error))
                raise
            except Exception:
                self._count(api_method, "unreachable")
                raise
        self._count(api_method, None)
        return response

    async def _attempts(self, api_method: str, request: dict[str, Any]) -> AsyncSlackResponse:
        """The call, as slack_sdk makes it (its retry handlers included)."""
        return await super().api_call(api_method, **request)

    def _count(self, api_method: str, error: str | None) -> None:
        if self.metrics is not None:
            self.metrics.slack_call(api_method, error)


class PacedWebClient(ObservedWebClient):
    """An AsyncWebClient whose every call first waits for its turn in `pacer` (Slack's tier
    of the method; per channel for posts). A call answered 429 holds its method for the
    Retry-After, then is tried again (`RATE_LIMIT_RETRIES` times); other methods go on.
    """

    def __init__(self, *, pacer: Pacer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pacer = pacer

    async def _attempts(self, api_method: str, request: dict[str, Any]) -> AsyncSlackResponse:
        """Call `api_method` within its budget, waiting out Slack's 429s."""
        channel = None
        if api_method == POST_MESSAGE:
            channel = _channel_of(request["params"], request["data"], request["json"])
        for attempt in itertools.count():
            async with self.pacer.call(api_method, channel):
                try:
                    return await super()._attempts(api_method, request)
                except SlackApiError as error:
                    if error.response.status_code != 429:
                        raise
                    wait = _retry_after(error.response)
                    self.pacer.hold(api_method, channel, wait)
                    retried = attempt < RATE_LIMIT_RETRIES
                    if self.metrics is not None:
                        self.metrics.slack_rate_limited(api_method, wait if retried else None)
                    if not retried:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover


class CountedRateLimitRetries(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's retries of 429s (for an unpaced client), each 429 and each wait counted."""

    def __init__(self, metrics: Metrics | None, *, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.metrics = metrics

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        """Asked once for every answer that no earlier handler retried: count the 429s that
        will not be retried here (the others are counted with their wait)."""
        retry = await super().can_retry_async(
            state=state, request=request, response=response, error=error
        )
        if not retry and error is None and response is not None and response.status_code == 429:
            if self.metrics is not None:
                self.metrics.slack_rate_limited(_method_of(request.url))
        return retry

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Wait out the Retry-After (slack_sdk's way), counting the 429 and the wait."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )
        if self.metrics is not None:
            self.metrics.slack_rate_limited(_method_of(request.url), loop.time() - started)


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
    settings: Settings,
    *,
    retries: bool = True,
    timebase: Timebase | None = None,
    metrics: Metrics | None = None,
) -> ObservedWebClient:
    """The Web API client: every call goes to SLACK_API_URL, with retries for 429s and 5xx,
    and is counted in `metrics`.

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
        return ObservedWebClient(**common, metrics=metrics, retry_handlers=[])
    connection = UnlessItCreates(AsyncConnectionErrorRetryHandler(max_retry_count=2))
    server = UnlessItCreates(AsyncServerErrorRetryHandler(max_retry_count=2))
    if settings.slack_pacing:
        pacer = Pacer(timebase or RealTimebase())
        return PacedWebClient(
            pacer=pacer, metrics=metrics, **common, retry_handlers=[connection, server]
        )
    rate_limit = CountedRateLimitRetries(metrics, max_retry_count=RATE_LIMIT_RETRIES)
    return ObservedWebClient(
        **common, metrics=metrics, retry_handlers=[connection, rate_limit, server]
    )


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
