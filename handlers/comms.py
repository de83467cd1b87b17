"""The customer-wording warning's "Post anyway" and "Cancel" buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.blocks.ids import ActionId
from bot.runtime import Runtime
from bot.services import changes, comms
from handlers.listening import listener


def register(app: AsyncApp, rt: Runtime) -> None:
    """Bind the two buttons of the wording warning."""

    @app.action(ActionId.POST_ANYWAY.value)
    @app.action(ActionId.CANCEL_DRAFT.value)
    @listener(rt)
    async def on_decision(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        channel = (body.get("channel") or {}).get("id", "")
        incident = await changes.incident_for_channel(rt, channel, "update")
        post = action.get("action_id") == ActionId.POST_ANYWAY
        await comms.settle_draft(
            rt, incident, actor=body["user"]["id"], draft_id=str(action.get("value", "")), post=post
        )
        await respond(
            replace_original=True,
            text="Customer update posted." if post else "Customer update cancelled.",
        )
