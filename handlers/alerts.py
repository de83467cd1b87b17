"""The Declare / Dismiss buttons of a "Declare incident?" question raised by alerts."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.blocks.alerts import PROPOSAL_BLOCK
from bot.blocks.ids import ActionId
from bot.deps import Deps
from bot.services import alert_proposals
from handlers.listening import listener


def _picked_severity(body: dict[str, Any]) -> str | None:
    values = ((body.get("state") or {}).get("values") or {}).get(PROPOSAL_BLOCK) or {}
    selected = (values.get(ActionId.ALERT_SEVERITY.value) or {}).get("selected_option") or {}
    value = selected.get("value")
    return value if isinstance(value, str) else None


def _message(body: dict[str, Any]) -> tuple[str, str] | None:
    channel = (body.get("channel") or {}).get("id")
    ts = (body.get("message") or {}).get("ts")
    return (channel, ts) if isinstance(channel, str) and isinstance(ts, str) else None


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind the question's buttons (and its severity menu, which only needs an ack)."""

    async def answer(body: dict[str, Any], action: dict[str, Any], *, declare: bool) -> None:
        await alert_proposals.answer(
            str(action.get("value") or ""),
            actor=body["user"]["id"],
            declare=declare,
            severity=_picked_severity(body) if declare else None,
            message=_message(body),
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            settings=deps.settings,
            replica=deps.replica,
        )

    @app.action(ActionId.ALERT_DECLARE.value)
    @listener(deps)
    async def on_declare(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await answer(body, action, declare=True)

    @app.action(ActionId.ALERT_DISMISS.value)
    @listener(deps)
    async def on_dismiss(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await answer(body, action, declare=False)

    @app.action(ActionId.ALERT_SEVERITY.value)
    @listener(deps)
    async def on_severity(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        """Nothing to do: the pick is read from the message's state when Declare is pressed."""
