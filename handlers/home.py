"""The App Home tab: publish it when opened; its Declare incident button opens the modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.blocks.ids import ActionId
from bot.deps import Deps
from bot.services.home import home_opened
from bot.services.views import declare_form
from handlers.listening import listener


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind `app_home_opened` and the Home's Declare incident button."""

    @app.event("app_home_opened")
    @listener(deps)
    async def on_home_opened(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        user = event.get("user")
        if not user or event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to publish
        await home_opened(
            user,
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            replica=deps.replica,
        )

    @app.action(ActionId.HOME_DECLARE.value)
    @listener(deps)
    async def on_declare(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        view = declare_form(deps.pack, declarer=body["user"]["id"], private_metadata="")
        await deps.slack.client.views_open(trigger_id=body["trigger_id"], view=view)
