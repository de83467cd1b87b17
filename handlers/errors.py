"""The one error handler: domain errors become an ephemeral reply, the rest are logged."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.domain.errors import DomainError
from bot.runtime import Runtime

log = logging.getLogger(__name__)
UNEXPECTED = (
    ":warning: Something went wrong while doing that. Check `/incident timeline` to see what "
    "was recorded before you try again."
)


async def tell_user(rt: Runtime, context: AsyncBoltContext, text: str) -> None:
    """Reply privately: through response_url, else an ephemeral, else a DM."""
    try:
        if context.respond is not None:
            await context.respond(text=text, response_type="ephemeral", replace_original=False)
        elif context.channel_id and context.user_id:
            await rt.client.chat_postEphemeral(channel=context.channel_id, user=context.user_id,
                                               text=text)
        elif context.user_id:
            await rt.client.chat_postMessage(channel=context.user_id, text=text)
    except Exception as error:  # noqa: BLE001 - telling the user is best effort
        log.warning("could not tell %s: %r", context.user_id, error)


def register(app: AsyncApp, rt: Runtime) -> None:
    """Install the global error handler."""

    @app.error
    async def on_error(error: Exception, context: AsyncBoltContext, body: dict[str, Any]) -> None:
        if isinstance(error, DomainError):
            await tell_user(rt, context, str(error))
            return
        log.exception("unexpected error handling a %s request", body.get("type") or "command",
                      exc_info=error)
        await tell_user(rt, context, UNEXPECTED)
