"""The Bolt app factory: an AsyncApp wired to the configured Slack API and our listeners."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot.runtime import Runtime
from bot.settings import Settings

log = logging.getLogger(__name__)


def make_client(settings: Settings, *, retries: bool = True) -> AsyncWebClient:
    """The Web API client: every call goes to SLACK_API_URL, with retries for 429s and 5xx."""
    handlers = [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=handlers if retries else [],
    )


def _authorizer(rt: Runtime) -> Any:
    """Authorize with our one bot token; auth.test once, and keep working if Slack is down."""
    token = rt.settings.slack_bot_token.get_secret_value()

    async def authorize(**_: Any) -> AuthorizeResult:
        identity = await rt.bot_identity()
        return AuthorizeResult(
            enterprise_id=None,
            team_id=identity.get("team_id"),
            bot_token=token,
            bot_user_id=identity.get("bot_user_id"),
            bot_id=identity.get("bot_id"),
        )

    return authorize


def create_app(rt: Runtime) -> AsyncApp:
    """Build the Bolt app; tokens and client are passed explicitly, never read from env."""
    settings = rt.settings
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=rt.client,
        authorize=_authorizer(rt),
        signing_secret=secret.get_secret_value() if secret else None,
        # Socket Mode has no signature; in HTTP mode bot.server verifies every request before
        # Bolt sees it, so Bolt need not check the same HMAC again.
        request_verification_enabled=False,
        process_before_response=False,
        logger=logging.getLogger("slack_bolt"),
    )
    handlers.register(app, rt)
    return app
