"""Events: show newcomers to an incident channel where things stand."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.blocks.card import incident_card_blocks, incident_card_text
from bot.deps import Deps
from bot.domain.errors import NotInIncidentChannel
from bot.services.changes import incident_for_channel
from bot.services.views import load_view
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
        try:
            incident = await incident_for_channel(channel, "", db=deps.db)
        except NotInIncidentChannel:
            return
        if incident.status == "resolved":
            return
        _, view = await load_view(incident.id, db=deps.db, pack=deps.pack)
        await deps.slack.client.chat_postEphemeral(
            channel=channel,
            user=user,
            text=incident_card_text(view),
            blocks=incident_card_blocks(view),
        )
