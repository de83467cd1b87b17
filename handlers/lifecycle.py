"""Messages in a resolved incident's channel: a person speaking postpones its archive."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.deps import Deps
from bot.services.lifecycle import postpone_archive
from handlers.listening import listener


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind `message` (message.channels and message.groups)."""

    @app.event("message")
    @listener(deps)
    async def on_message(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        identity = await deps.slack.identity()
        await postpone_archive(
            event,
            db=deps.db,
            clock=deps.clock,
            settings=deps.settings,
            bot_user=identity.get("bot_user_id", ""),
        )
