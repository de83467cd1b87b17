"""The Bolt app factory: an AsyncApp wired to the configured Slack API and our listeners."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)

import handlers
from bot.deps import Deps
from bot.slack_gateway import ObservedWebClient

log = logging.getLogger(__name__)


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _NoEnvTokenNotices) for f in logger.filters):
        logger.addFilter(_NoEnvTokenNotices())
    return logger


def _authorizer(deps: Deps) -> Any:
    """Authorize with our one bot token; auth.test at startup, never while an ack waits."""
    token = deps.settings.slack_bot_token.get_secret_value()

    async def authorize(**_: Any) -> AuthorizeResult:
        identity = deps.slack.known_identity()
        return AuthorizeResult(
            enterprise_id=None,
            team_id=identity.get("team_id"),
            bot_token=token,
            bot_user_id=identity.get("bot_user_id"),
            bot_id=identity.get("bot_id"),
        )

    return authorize


class _NoEnvTokenNotices(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment even when it is given a client and an
    `authorize`, then warns that the token is ignored. It is ignored: say nothing."""

    NOTICES = frozenset({warning_client_prioritized_and_token_skipped(), warning_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but those two notices."""
        return record.getMessage() not in self.NOTICES


def create_app(deps: Deps) -> AsyncApp:
    """Build the Bolt app; tokens and client are passed explicitly, never read from env."""
    settings = deps.settings
    secret = settings.slack_signing_secret
    # Bolt gets the token from `authorize` on every request; a client holding it too would
    # only earn a "token will be ignored" warning at startup.
    tokenless = ObservedWebClient(
        base_url=deps.slack.client.base_url,
        timeout=deps.slack.client.timeout,
        retry_handlers=deps.slack.client.retry_handlers,
        metrics=deps.metrics,
    )
    app = AsyncApp(
        # Named: without a name Bolt walks the whole call stack (inspect.stack()) to find one.
        name="incident-bot",
        client=tokenless,
        authorize=_authorizer(deps),
        signing_secret=secret.get_secret_value() if secret else None,
        # Socket Mode has no signature; in HTTP mode bot.server verifies every request before
        # Bolt sees it, so Bolt need not check the same HMAC again.
        request_verification_enabled=False,
        process_before_response=False,
        # Unhandled deliveries reach `@app.error`, which marks them handled (see handlers).
        raise_error_for_unhandled_request=True,
        logger=_bolt_logger(),
    )
    handlers.register(app, deps)
    return app
