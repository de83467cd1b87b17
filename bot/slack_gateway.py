"""The Slack gateway: the Web API clients and what the bot knows about Slack itself."""

from __future__ import annotations

import asyncio

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


def make_client(settings: Settings, *, retries: bool = True) -> AsyncWebClient:
    """The Web API client: every call goes to SLACK_API_URL, with retries for 429s and 5xx."""
    handlers = [
        UnlessItCreates(AsyncConnectionErrorRetryHandler(max_retry_count=2)),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        UnlessItCreates(AsyncServerErrorRetryHandler(max_retry_count=2)),
    ]
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=handlers if retries else [],
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
