"""Ticking checklist items."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.blocks.checklist import parse_checklist_block_id
from bot.blocks.ids import ActionId
from bot.deps import Deps
from bot.domain.errors import BadCommand
from bot.services import checklists
from handlers.listening import listener


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind the checklist checkboxes."""

    @app.action(ActionId.CHECKLIST_TICK.value)
    @listener(deps)
    async def on_tick(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        target = parse_checklist_block_id(str(action.get("block_id", "")))
        if target is None:
            raise BadCommand("Those checkboxes are not part of a checklist.")
        selected = {
            int(o["value"])
            for o in action.get("selected_options") or []
            if isinstance(o, dict) and str(o.get("value", "")).isdigit()
        }
        await checklists.tick(
            run_id=target[0],
            group=target[1],
            selected=selected,
            actor=body["user"]["id"],
            channel_id=str((body.get("channel") or {}).get("id", "")),
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
        )
