"""Clicks on playbook steps and on the "Run this playbook" suggestion."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.blocks.ids import STEP_ACTIONS, ActionId, parse_step_block_id
from bot.blocks.steps import out_of_order_blocks
from bot.deps import Deps
from bot.domain.errors import BadCommand, OutOfOrder
from bot.services import changes, monitoring, playbook_steps, playbooks, scripted
from bot.services.views import Incident
from handlers.listening import listener

MOVES = {
    ActionId.STEP_DONE: "done",
    ActionId.STEP_DONE_ANYWAY: "done",
    ActionId.STEP_SKIP: "skip",
    ActionId.STEP_UNDO: "undo",
}
STEP_PATTERN = re.compile("^(" + "|".join(re.escape(a) for a in STEP_ACTIONS) + ")$")


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind step buttons and the playbook suggestion button."""

    @app.action(STEP_PATTERN)
    @listener(deps)
    async def on_step(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        if action.get("action_id") == ActionId.STEP_SEND:
            await send_step(body, action, deps=deps)
            return
        if action.get("action_id") == ActionId.STEP_MONITOR:
            await monitor_step(body, action, deps=deps)
            return
        try:
            await click_step(body, action, deps=deps)
        except OutOfOrder as ahead:  # ordered playbook: ask before ticking it anyway
            blocks = out_of_order_blocks(
                step=ahead.step,
                waiting=ahead.waiting,
                block_id=str(action.get("block_id", "")),
                value=str(action.get("value", "")),
            )
            await respond(
                response_type="ephemeral", replace_original=False, text=str(ahead), blocks=blocks
            )

    @app.action(ActionId.ATTACH_PLAYBOOK.value)
    @listener(deps)
    async def on_attach(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        channel = (body.get("channel") or {}).get("id", "")
        incident = await changes.incident_for_channel(channel, "playbook", db=deps.db)
        await playbooks.attach_playbook(
            incident,
            actor=body["user"]["id"],
            playbook_id=str(action.get("value", "")),
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            replica=deps.replica,
            calendar=deps.settings.calendar,
        )


async def _clicked(
    body: dict[str, Any], action: dict[str, Any], *, deps: Deps
) -> tuple[Incident, str, int, int, str]:
    """The incident, playbook, phase and step a step button names, and who clicked."""
    target = parse_step_block_id(str(action.get("block_id", "")))
    if target is None:
        raise BadCommand("That button is not attached to a playbook step.")
    channel = (body.get("channel") or {}).get("id", "")
    incident = await changes.incident_for_channel(channel, "playbook", db=deps.db)
    return incident, *target, body["user"]["id"]


async def send_step(body: dict[str, Any], action: dict[str, Any], *, deps: Deps) -> None:
    """Send a message step's wording to its audience and tick the step."""
    incident, playbook_id, phase, step, user = await _clicked(body, action, deps=deps)
    await scripted.send_step_message(
        incident,
        actor=user,
        playbook_id=playbook_id,
        phase=phase,
        step=step,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
    )


async def monitor_step(body: dict[str, Any], action: dict[str, Any], *, deps: Deps) -> None:
    """Start the step's monitoring window."""
    incident, playbook_id, phase, step, user = await _clicked(body, action, deps=deps)
    await monitoring.start_monitoring(
        incident,
        actor=user,
        playbook_id=playbook_id,
        phase=phase,
        step=step,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
    )


async def click_step(body: dict[str, Any], action: dict[str, Any], *, deps: Deps) -> None:
    """Done, skip, undo or assign the step whose button was clicked."""
    incident, playbook_id, phase, step, user = await _clicked(body, action, deps=deps)
    action_id = action.get("action_id")
    if action_id in MOVES:
        await playbook_steps.move_step(
            incident,
            actor=user,
            playbook_id=playbook_id,
            phase=phase,
            step=step,
            move=MOVES[ActionId(action_id)],
            confirmed=action_id == ActionId.STEP_DONE_ANYWAY,
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            settings=deps.settings,
            replica=deps.replica,
        )
        return
    assignee = user if action_id == ActionId.STEP_ASSIGN_ME else action.get("selected_user")
    if not isinstance(assignee, str) or not assignee:
        raise BadCommand("Pick someone to assign the step to.")
    await playbook_steps.assign_step(
        incident,
        actor=user,
        playbook_id=playbook_id,
        phase=phase,
        step=step,
        assignee=assignee,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
    )
