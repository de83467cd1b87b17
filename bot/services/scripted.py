"""Scripted messages: a playbook's `message` step sent to its audience with one click.

The wording is sent in one unit of work with the step's tick: the step moves from open to
done only if it is still open (a second click, or a click on an old copy of the message,
sends nothing), and the customer update is recorded for the step's audience, restarts the
customer-update clock and is owed to the channel. No wording check is needed here: the
pack loader refuses a message step that uses the pack's own words to avoid
(`playbooks.checks`).
"""

from __future__ import annotations

from bot.clock import Clock
from bot.domain.errors import BadCommand, Conflict
from bot.domain.text import clip, unescape
from bot.replica import Replica
from bot.services import comms, playbook_steps, playbooks
from bot.services.unit import unit_of_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack, Playbook, Step
from storage.db import Database
from storage.models import Incident, OutboxPost

ALREADY_SENT = "That message was already sent (or its step ticked); nothing was sent again."


async def send_step_message(
    incident: Incident,
    *,
    actor: str,
    playbook_id: str,
    phase: int,
    step: int,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> None:
    """Send a message step's wording as a customer update of its audience and tick it."""
    playbook, found = await playbook_steps.authorized_step(
        incident, playbook_id, phase, step, actor, db=db, pack=pack, settings=settings
    )
    if found.kind != "message":
        raise BadCommand("That step has no message to send; tick it with Done.")
    text = clip(unescape(found.text).strip(), comms.TEXT_LIMIT)
    where = (playbook, found, phase, step)
    owed = await _send_and_tick(
        incident, where, actor=actor, text=text, db=db, pack=pack, clock=clock
    )
    await comms.deliver_update(owed, db=db, slack=slack, replica=replica)
    await playbooks.refresh_phase(
        incident, playbook.id, phase, db=db, slack=slack, pack=pack, replica=replica
    )


async def _send_and_tick(
    incident: Incident,
    where: tuple[Playbook, Step, int, int],
    *,
    actor: str,
    text: str,
    db: Database,
    pack: Pack,
    clock: Clock,
) -> list[OutboxPost]:
    """The tick (only if the step is still open) and the customer update, in one commit."""
    playbook, found, phase, step = where
    now = clock()
    async with unit_of_work(db) as session:
        ticked = await playbook_steps.move_in(
            session,
            incident,
            playbook,
            found,
            phase=phase,
            step=step,
            move="done",
            actor=actor,
            now=now,
        )
        if not ticked:
            raise Conflict(ALREADY_SENT)
        return await comms.record_customer_update(
            session,
            incident,
            actor=actor,
            text=text,
            now=now,
            overridden="",
            audience=found.audience,
            pack=pack,
            clock=clock,
        )
