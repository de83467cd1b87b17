"""Scripted messages: a playbook's `message` step sent to its audience with one click.

The wording is checked like any customer update; clean wording is posted and recorded as a
customer update of the step's audience (which restarts the customer-update clock), and the
step is ticked. Wording the pack avoids is held back with the usual Post anyway / Cancel,
and the step stays open until someone ticks it.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.domain.errors import BadCommand, Conflict
from bot.replica import Replica
from bot.services import comms, playbooks
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack, Step
from storage.db import Database
from storage.models import Draft, Incident


def _require_message(step: Step) -> None:
    if step.kind != "message":
        raise BadCommand("That step has no message to send; tick it with Done.")


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
) -> Draft | None:
    """Send a message step's wording and tick the step; the draft if it is held back."""
    _, found = await playbooks.authorized_step(
        incident, playbook_id, phase, step, actor, db=db, pack=pack, settings=settings
    )
    _require_message(found)
    draft = await comms.submit_customer_update(
        incident,
        actor=actor,
        text=found.text,
        audience=found.audience,
        db=db,
        slack=slack,
        pack=pack,
        clock=clock,
        replica=replica,
    )
    if draft is not None:
        return draft
    try:
        await playbooks.move_step(
            incident,
            actor=actor,
            playbook_id=playbook_id,
            phase=phase,
            step=step,
            move="done",
            db=db,
            slack=slack,
            pack=pack,
            clock=clock,
            settings=settings,
            replica=replica,
        )
    except Conflict:  # ticked by someone else meanwhile: the message is sent all the same
        pass
    return None
