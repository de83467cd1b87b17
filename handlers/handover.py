"""The person picker under a severity change that names a decision maker: hand over to them."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.blocks.ids import ActionId
from bot.deps import Deps
from bot.domain.errors import BadCommand
from bot.services import changes, command
from handlers.listening import listener


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind the hand-over picker (the same rules as `/incident commander @user`)."""

    @app.action(ActionId.HAND_OVER_TO.value)
    @listener(deps)
    async def on_hand_over(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        new = action.get("selected_user")
        if not isinstance(new, str) or not new:
            raise BadCommand("Pick the person to hand command over to.")
        channel = (body.get("channel") or {}).get("id", "")
        incident = await changes.incident_for_channel(channel, "commander", db=deps.db)
        await command.hand_over_command(
            incident,
            actor=body["user"]["id"],
            new=new,
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            settings=deps.settings,
            replica=deps.replica,
        )
