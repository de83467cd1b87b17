"""Declaring an incident: one use case for the modal and for `/incident declare …`.

Recording is one commit (the incident, its clocks, and the setup lease for this process);
the channel is set up after it by `bot.services.channel_setup`, so a declaration that was
acknowledged is never lost to a Slack outage.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.domain.errors import BadCommand
from bot.domain.naming import incident_id
from bot.domain.text import clip, unescape
from bot.replica import Replica
from bot.services import timers
from bot.services.channel_setup import SETUP_LEASE
from bot.services.playbooks import find_playbook
from bot.services.unit import unit_of_work
from playbooks.business_calendar import BusinessCalendar
from playbooks.model import Pack, Severity
from storage import repo
from storage.db import Database
from storage.models import Incident, IncidentBase

log = logging.getLogger(__name__)
TITLE_LIMIT = 500
DESCRIPTION_LIMIT = 3000


class PlaybookChoice(StrEnum):
    """What the declarer chose about a playbook, besides naming one."""

    BEST = "best"  # attach the pack's best match for the title (the modal's default)
    OFFER = "offer"  # offer the best match in the channel, attach nothing yet (inline)
    NONE = "none"  # no playbook


@dataclass(frozen=True)
class Declaration:
    """What someone asked to declare, from the modal or from `/incident declare …`."""

    title: str
    severity: str
    declarer: str
    commander: str | None = None
    description: str = ""
    playbook_id: str | None = None  # a playbook named by the declarer
    choice: PlaybookChoice = PlaybookChoice.OFFER  # what to do when none is named
    private: bool = False  # asked for; the pack may also make it private (`is_private`)


def is_private(declaration: Declaration, *, severity: Severity, plan: str, pack: Pack) -> bool:
    """Private when asked, or when the severity or the playbook to attach is private."""
    playbook = pack.playbook(plan.removeprefix("attach:")) if plan.startswith("attach:") else None
    return declaration.private or severity.private or bool(playbook and playbook.private)


def _playbook_severity(declaration: Declaration, pack: Pack) -> str:
    """The severity of the playbook the declarer named, if any ("" otherwise)."""
    if declaration.playbook_id is None:
        return ""
    return find_playbook(declaration.playbook_id, pack=pack).severity


def playbook_plan(declaration: Declaration, pack: Pack) -> str:
    """What setup does about a playbook: `attach:<id>`, `suggest`, or nothing.

    A named playbook must exist in the pack (BadCommand lists the valid ones)."""
    if declaration.playbook_id is not None:
        return f"attach:{find_playbook(declaration.playbook_id, pack=pack).id}"
    if declaration.choice is PlaybookChoice.NONE:
        return ""
    if declaration.choice is PlaybookChoice.OFFER:
        return "suggest"
    best = pack.suggest_playbook(" ".join(declaration.title.split()))
    return f"attach:{best.id}" if best else ""


# More work for the declaration's own commit: given the session and the new incident.
Along = Callable[[AsyncSession, Incident], Awaitable[None]]


async def declare_incident(
    declaration: Declaration,
    *,
    db: Database,
    pack: Pack,
    clock: Clock,
    replica: Replica,
    calendar: BusinessCalendar,
    along: Along | None = None,
) -> Incident:
    """Record a new incident with its clocks (one commit); Slack setup is a separate step.

    Without a severity, a named playbook's own severity is used. Thresholds in business
    days or hours are counted on `calendar`. `along` adds more to the same commit (e.g. the
    alerts the incident is declared for), and may raise to call the declaration off."""
    found = pack.severity(declaration.severity or _playbook_severity(declaration, pack))
    if found is None:
        valid = ", ".join(s.id for s in pack.severities)
        raise BadCommand(f"`{declaration.severity}` is not a severity. Use one of: {valid}.")
    title = clip(" ".join(unescape(declaration.title).split()), TITLE_LIMIT)
    if not title:
        raise BadCommand("The incident needs a title.")
    plan = playbook_plan(declaration, pack)
    fields = IncidentBase(
        title=title,
        description=clip(unescape(declaration.description).strip(), DESCRIPTION_LIMIT),
        severity=found.id,
        commander_id=declaration.commander or declaration.declarer,
        declared_by=declaration.declarer,
        pack_id=pack.id,
        private=is_private(declaration, severity=found, plan=plan, pack=pack),
    )
    now = clock()
    async with unit_of_work(db) as session:
        incident = await repo.create_incident(
            session=session,
            fields=fields,
            day=now.date(),
            now=now,
            id_for=lambda day, seq: incident_id(day, seq, pack.incident_id_format),
            playbook_plan=plan,
            # The declaring process sets the channel up next: it holds the lease from now.
            setup_owner=replica.id,
            setup_lease_until=now + SETUP_LEASE,
        )
        await timers.plan_open_incident(session, pack, incident, now, calendar=calendar, fresh=True)
        if along is not None:
            await along(session, incident)
    # Not `working_on`: an alert batch declares several incidents in one task.
    log.info("declared %s (%s)", incident.id, incident.severity, extra={"incident_id": incident.id})
    return incident
