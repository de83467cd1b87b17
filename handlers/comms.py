"""The customer-wording warning's "Post anyway" and "Cancel" buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.blocks.ids import ActionId
from bot.deps import Deps
from bot.services import changes, comms
from handlers.listening import listener


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind the two buttons of the wording warning."""

    @app.action(ActionId.POST_ANYWAY.value)
    @app.action(ActionId.CANCEL_DRAFT.value)
    @listener(deps)
    async def on_decision(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        channel = (body.get("channel") or {}).get("id", "")
        incident = await changes.incident_for_channel(channel, "update", db=deps.db)
        post = action.get("action_id") == ActionId.POST_ANYWAY
        await comms.settle_draft(
            incident,
            actor=body["user"]["id"],
            draft_id=str(action.get("value", "")),
            post=post,
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            replica=deps.replica,
        )
        await respond(
            replace_original=True,
            text="Customer update posted." if post else "Customer update cancelled.",
        )
