"""Changing the status: investigating, identified, monitoring; resolve and reopen."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks import lines
from bot.clock import Clock
from bot.domain import incident as rules
from bot.domain.cadence import cadence_of
from bot.domain.errors import (
    NotShown,
)
from bot.domain.incident_log import compose_resolution
from bot.domain.lifecycle import archive_after
from bot.domain.policy import require_command_authority
from bot.domain.text import clip, unescape
from bot.pagers import Pagers
from bot.replica import Replica
from bot.services import checklists, lifecycle, paging
from bot.services.changes import SUMMARY_LIMIT, commit_change, timeline_event
from bot.services.display import show_change
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage.db import Database
from storage.models import Incident, OutboxPost


async def change_status(
    incident: Incident,
    *,
    actor: str,
    text: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
    pagers: Pagers | None = None,
) -> None:
    """Move between open statuses; `resolved` resolves."""
    new = rules.parse_status(text)
    if new is rules.Status.RESOLVED:
        await resolve(
            incident,
            actor=actor,
            summary="",
            db=db,
            slack=slack,
            pack=pack,
            clock=clock,
            settings=settings,
            replica=replica,
            pagers=pagers,
        )
        return
    await _change_open_status(
        incident,
        new,
        actor=actor,
        db=db,
        slack=slack,
        pack=pack,
        clock=clock,
        replica=replica,
    )


async def _change_open_status(
    incident: Incident,
    new: rules.Status,
    *,
    actor: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
) -> None:
    """Move from the current open status to `new`, another open one."""
    old = rules.Status(incident.status)
    rules.check_status_change(old, new)
    event = timeline_event(
        incident,
        actor=actor,
        kind="status_changed",
        text=f"{old.label} → {new.label}",
        old=old.value,
        new=new.value,
        clock=clock,
    )
    owed = await commit_change(
        incident,
        event,
        field="status",
        value=new.value,
        line=lines.status_changed_line(actor=actor, old=old.label, new=new.label),
        db=db,
        pack=pack,
        clock=clock,
    )
    await show_change(
        incident,
        owed,
        f"status is {new.label}",
        db=db,
        slack=slack,
        pack=pack,
        clock=clock,
        replica=replica,
    )
    if new is rules.Status.MONITORING:
        await checklists.post_on_monitoring(incident, db=db, slack=slack, pack=pack, clock=clock)


async def resolve(
    incident: Incident,
    *,
    actor: str,
    summary: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
    pagers: Pagers | None = None,
    root_cause: str = "",
    prevention: Sequence[str] = (),
) -> None:
    """Resolve with an optional summary (root cause and prevention either labelled in it or
    given apart); only the commander or an admin may. Every pager target paged for the
    incident is owed a resolve in the same commit, sent with `pagers` (without, by the
    server's background pass)."""
    check_may_resolve(incident, actor=actor, settings=settings)
    summary = _resolution_text(summary, root_cause, prevention)
    now = clock()
    event = timeline_event(
        incident,
        actor=actor,
        kind="resolved",
        text=summary or "Resolved",
        old=incident.status,
        summary=summary,
        clock=clock,
    )
    owed = await commit_change(
        incident,
        event,
        field="status",
        value=rules.Status.RESOLVED.value,
        line=lines.resolved_line(
            actor=actor,
            summary=summary or None,
            final_update=cadence_of(pack, incident.severity).customer is not None,
        ),
        extra={"resolved_at": now, "summary": summary or None},
        resolved=True,
        calendar=settings.calendar,
        archive_after=archive_after(settings.archive_after_days),
        db=db,
        pack=pack,
        clock=clock,
    )
    await _show_resolution(
        incident, owed, db=db, slack=slack, pack=pack, clock=clock, replica=replica, pagers=pagers
    )


async def _show_resolution(
    incident: Incident,
    owed: list[OutboxPost],
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
    pagers: Pagers | None,
) -> None:
    """Show the committed resolution, post the recovery checklist and resolve what was
    paged; a change Slack did not take yet (caught up later) is raised after the rest."""
    not_shown = None
    try:
        await show_change(
            incident, owed, "resolved", db=db, slack=slack, pack=pack, clock=clock, replica=replica
        )
    except NotShown as lagging:  # the recovery checklist is still due
        not_shown = lagging
    await checklists.post_on_resolve(incident, db=db, slack=slack, pack=pack, clock=clock)
    if pagers is not None:
        await paging.send_due(
            db=db, pagers=pagers, slack=slack, clock=clock, replica=replica, incidents=[incident.id]
        )
    if not_shown is not None:
        raise not_shown


def _resolution_text(summary: str, root_cause: str, prevention: Sequence[str]) -> str:
    """The stored resolution: the summary, with root cause and prevention given apart
    written in as the labelled parts `/incident resolve` accepts; clipped."""
    summary = unescape(summary)
    if root_cause.strip() or prevention:
        summary = compose_resolution(summary, root_cause, prevention)
    return clip(summary.strip(), SUMMARY_LIMIT)


def check_may_resolve(incident: Incident, *, actor: str, settings: Settings) -> None:
    """Refuse (NotAllowed, InvalidTransition) unless the actor may resolve it now."""
    require_command_authority(
        "resolve", actor=actor, commander=incident.commander_id, admins=settings.incident_admins
    )
    rules.check_open(rules.Status(incident.status), "resolve it again")


async def reopen(
    incident: Incident,
    *,
    actor: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> None:
    """Reopen a resolved incident as Investigating; only the commander or an admin may."""
    require_command_authority(
        "reopen", actor=actor, commander=incident.commander_id, admins=settings.incident_admins
    )
    rules.check_reopen(rules.Status(incident.status))
    event = timeline_event(incident, actor=actor, kind="reopened", text="Reopened", clock=clock)
    owed = await commit_change(
        incident,
        event,
        field="status",
        value=rules.Status.INVESTIGATING.value,
        line=lines.reopened_line(actor=actor),
        extra={"resolved_at": None},
        replan=incident.model_copy(update={"status": "investigating"}),
        calendar=settings.calendar,
        db=db,
        pack=pack,
        clock=clock,
    )
    await lifecycle.unarchive_channel(incident, slack=slack)
    await show_change(
        incident,
        owed,
        "reopened as Investigating",
        db=db,
        slack=slack,
        pack=pack,
        clock=clock,
        replica=replica,
    )
