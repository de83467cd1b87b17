"""Answering "Declare incident?": Declare (at the severity picked) or Dismiss, once."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks.alerts import answered_text
from bot.clock import Clock
from bot.domain.errors import BadCommand, Conflict
from bot.replica import Replica
from bot.services.channel_setup import set_up_or_explain
from bot.services.declare import Along, Declaration, declare_incident
from bot.services.unit import unit_of_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import alerts, repo
from storage.db import Database
from storage.models import AlertProposal, Incident

log = logging.getLogger(__name__)


async def answer(
    proposal_id: str,
    *,
    actor: str,
    declare: bool,
    severity: str | None,
    message: tuple[str, str] | None,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> Incident | None:
    """Declare the proposed incident (its alerts join it) or dismiss the question; who
    answered is recorded. A question already answered changes nothing."""
    proposal = await _open_proposal(proposal_id, db=db)
    now = clock()
    if not declare:
        async with unit_of_work(db) as session:
            if not await alerts.decide_proposal(
                session=session, proposal=proposal.id, state="dismissed", by=actor, at=now
            ):
                raise Conflict("Someone answered that question just before you.")
        await _show(message, proposal, actor=actor, declared=None, slack=slack)
        return None

    incident = await declare_incident(
        Declaration(title=proposal.title, severity=severity or proposal.severity, declarer=actor),
        db=db,
        pack=pack,
        clock=clock,
        replica=replica,
        calendar=settings.calendar,
        along=_answered_with(proposal, actor=actor, at=now),
    )
    await _show(message, proposal, actor=actor, declared=incident.id, slack=slack)
    await set_up_or_explain(
        incident.id,
        db=db,
        slack=slack,
        pack=pack,
        clock=clock,
        settings=settings,
        replica=replica,
    )
    return incident


def _answered_with(proposal: AlertProposal, *, actor: str, at: datetime) -> Along:
    """In the declaration's commit: the question is answered (once), its alerts join the
    incident, and the timeline says who declared it from how many alerts."""

    async def along(session: AsyncSession, incident: Incident) -> None:
        if not await alerts.decide_proposal(
            session=session,
            proposal=proposal.id,
            state="declared",
            by=actor,
            at=at,
            incident=incident.id,
        ):
            raise Conflict("Someone answered that question just before you.")
        await alerts.link_proposal_alerts(
            session=session, proposal=proposal.id, incident=incident.id
        )
        repo.add_event(
            session=session,
            event=repo.new_event(
                incident=incident.id,
                at=at,
                actor=actor,
                kind="declared_from_alerts",
                text=f"{proposal.alerts} alert(s): {proposal.title}",
                proposal=proposal.id,
                alerts=proposal.alerts,
            ),
        )

    return along


async def _open_proposal(proposal_id: str, *, db: Database) -> AlertProposal:
    async with db.reader() as session:
        proposal = await alerts.get_proposal(session=session, proposal=proposal_id)
    if proposal is None:
        raise BadCommand("That is not a question the bot asked; nothing was declared.")
    if proposal.state != "open":
        raise Conflict(f"That question was already answered ({proposal.state}).")
    return proposal


async def _show(
    message: tuple[str, str] | None,
    proposal: AlertProposal,
    *,
    actor: str,
    declared: str | None,
    slack: SlackGateway,
) -> None:
    """Turn the question into its answer (best effort: the record is what counts)."""
    if message is None:
        return
    channel, ts = message
    text = answered_text(text=f":bell: {proposal.title}", actor=actor, declared=declared)
    try:
        await slack.client.chat_update(channel=channel, ts=ts, text=text, blocks=[])
    except Exception as error:  # noqa: BLE001 - the answer is recorded; the message may lag
        log.warning("could not update the question %s: %r", proposal.id, error)
