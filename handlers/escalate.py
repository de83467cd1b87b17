"""The Escalate buttons of `/incident escalate`: confirm a pack's named condition."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.blocks.ids import ActionId
from bot.deps import Deps
from bot.services import changes, escalate
from handlers.listening import listener


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind the Escalate button (the same as `/incident escalate <condition>`)."""

    @app.action(ActionId.ESCALATE.value)
    @listener(deps)
    async def on_escalate(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        channel = (body.get("channel") or {}).get("id", "")
        incident = await changes.incident_for_channel(channel, "escalate", db=deps.db)
        await escalate.confirm_condition(
            incident,
            actor=body["user"]["id"],
            text=str(action.get("value") or ""),
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            settings=deps.settings,
            replica=deps.replica,
            pagers=deps.pagers,
        )
