"""Events: show newcomers to an incident channel where things stand."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.deps import Deps
from bot.services.display import show_card_privately
from handlers.listening import listener


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind `member_joined_channel`."""

    @app.event("member_joined_channel")
    @listener(deps)
    async def on_member_joined(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        channel, user = event.get("channel"), event.get("user")
        if not channel or not user:
            return
        await show_card_privately(channel, user, db=deps.db, slack=deps.slack, pack=deps.pack)
