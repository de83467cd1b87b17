"""Changing an incident: command, severity, status, roles, resolve and reopen.

Each use case checks the rules, then commits the change with its timeline event (and
any clock it moves) in one unit of work, and only then shows it in Slack.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import Any

from bot.blocks import lines
from bot.blocks.decisions import decision_maker_blocks, decision_maker_text
from bot.clock import Clock
from bot.domain import incident as rules
from bot.domain import setup
from bot.domain.commander import check_hand_over, lost_race
from bot.domain.errors import (
    BadCommand,
    Conflict,
    InvalidTransition,
    NotInIncidentChannel,
    NotShown,
)
from bot.domain.policy import require_command_authority, require_role_authority
from bot.domain.text import clip, unescape
from bot.replica import Replica
from bot.services import channels, checklists, outbox, people, timers
from bot.services.channel_setup import set_up_or_explain
from bot.services.display import show_change
from bot.services.unit import unit_of_work
from bot.services.views import severity_name, severity_notice
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack, Role, Severity
from storage import repo
from storage.db import Database
from storage.models import Event, Incident, OutboxPost

log = logging.getLogger(__name__)
SUMMARY_LIMIT = 3000
RACE = (
    "Someone changed this incident at the same moment, so nothing was changed. "
    "Check the card and try again."
)


async def incident_for_channel(channel_id: str, subcommand: str, *, db: Database) -> Incident:
    """The incident of this channel, or NotInIncidentChannel."""
    async with db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel_id)
    if incident is None:
        raise NotInIncidentChannel(subcommand)
    return incident


def _event(
    incident: Incident, *, actor: str, kind: str, text: str, clock: Clock, **data: object
) -> Event:
    return repo.new_event(
        incident=incident.id, at=clock(), actor=actor, kind=kind, text=text, **data
    )


async def hand_over_command(
    incident: Incident,
    *,
    actor: str,
    new: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> None:
    """Make `new` the commander; only the commander or an admin may, and only to a person.

    The one-commander rule: `bot.domain.commander` decides, `repo.hand_over_if` enforces."""
    old = incident.commander_id
    check_hand_over(
        actor=actor, commander=old, new=new, status=incident.status, admins=settings.incident_admins
    )
    await people.require_person(new, "the incident commander", slack=slack)
    owed = await _record_handover(incident, actor=actor, old=old, new=new, db=db, clock=clock)
    try:
        await show_change(
            incident,
            owed,
            f"<@{new}> is the incident commander",
            invite=frozenset({new}),
            db=db,
            slack=slack,
            pack=pack,
            clock=clock,
            replica=replica,
        )
    finally:  # the change is committed: brief the new commander even if a redraw failed
        commander = pack.role("commander")
        await people.brief(incident, commander, user=new, slack=slack, rules=pack.rules)


async def _record_handover(
    incident: Incident, *, actor: str, old: str, new: str, db: Database, clock: Clock
) -> list[OutboxPost]:
    """Record the new commander, its event and its line in one unit of work; Conflict if
    command changed hands meanwhile. Returns the post it owes."""
    event = _event(
        incident,
        actor=actor,
        kind="commander_changed",
        text=f"<@{old}> → <@{new}>",
        old=old,
        new=new,
        clock=clock,
    )
    async with unit_of_work(db) as session:
        changed = await repo.hand_over_if(
            session=session, incident=incident.id, expected=old, new=new, event=event
        )
        if not changed:
            now = await repo.get_incident(session=session, incident=incident.id)
            raise lost_race(now.commander_id if now else None)
        line = lines.commander_changed_line(actor=actor, old=old, new=new)
        return [outbox.owe(session, incident, line, clock=clock)]


async def _change(
    incident: Incident,
    event: Event,
    *,
    field: str,
    value: str,
    line: str,
    blocks: list[dict[str, Any]] | None = None,
    elsewhere: Sequence[tuple[str, str]] = (),
    extra: dict[str, object] | None = None,
    replan: Incident | None = None,
    resolved: bool = False,
    db: Database,
    pack: Pack,
    clock: Clock,
) -> list[OutboxPost]:
    """Conditional update + event + its line in the channel (+ the clocks it moves, and
    `elsewhere`: (channel, text) notices), in one commit; Conflict if someone changed it
    first. Returns the posts it owes."""
    async with unit_of_work(db) as session:
        changed = await repo.change_if(
            session=session,
            incident=incident.id,
            field=field,
            expected=getattr(incident, field),
            new=value,
            event=event,
            extra=extra,
        )
        if not changed:
            raise Conflict(RACE)
        if replan is not None:
            await timers.plan_open_incident(session, pack, replan, clock())
        if resolved:
            await timers.stop_for_resolve(session, pack, incident, event.at)
        owed = [outbox.owe(session, incident, line, blocks, clock=clock)]
        owed += [outbox.owe_in(session, incident, ch, text, clock=clock) for ch, text in elsewhere]
        return owed


def _allowed_severity(
    incident: Incident, text: str, *, actor: str, pack: Pack, settings: Settings
) -> Severity:
    """The severity asked for, once the actor may change the incident to it."""
    found = _find_severity(text, pack=pack)
    _check_severity_change(incident, found, actor=actor, admins=settings.incident_admins)
    return found


def _check_severity_change(
    incident: Incident, found: Severity, *, actor: str, admins: Collection[str]
) -> None:
    """Only the commander or an admin, on an open incident, to another severity."""
    require_command_authority(
        "severity", actor=actor, commander=incident.commander_id, admins=admins
    )
    rules.check_open(rules.Status(incident.status), "change its severity")
    rules.check_severity_change(incident.severity, found.id)


async def _notices(
    incident: Incident, severity: Severity, *, pack: Pack, slack: SlackGateway
) -> list[tuple[str, str]]:
    """The (channel, text) notices for the channels the pack names for this severity."""
    text = severity_notice(incident.model_copy(update={"severity": severity.id}), pack)
    notices = []
    for name in severity.notify_channels:
        try:
            channel = await channels.channel_to_tell(name, slack=slack)
        except Exception as error:  # noqa: BLE001 - Slack down: the change itself goes on
            log.warning("could not find channel %r to tell of %s: %r", name, incident.id, error)
            continue
        if channel is not None:
            notices.append((channel, text))
    return notices


def _severity_post(
    actor: str, incident: Incident, severity: Severity, pack: Pack
) -> tuple[str, list[dict[str, Any]] | None]:
    """The line announcing the change; at a level whose decision maker the pack names, it
    also asks the commander to hand over to them (with a person picker)."""
    old_name, commander = severity_name(pack, incident.severity), incident.commander_id
    line = lines.severity_changed_line(actor=actor, old=old_name, new=severity.name)
    if not severity.decision_maker:
        return line, None
    ask = {
        "line": line,
        "severity": severity.name,
        "decision_maker": severity.decision_maker,
        "commander": commander,
    }
    return decision_maker_text(**ask), decision_maker_blocks(**ask)


def _find_severity(text: str, *, pack: Pack) -> Severity:
    """The pack's severity this text names, or BadCommand listing the valid ones."""
    found = pack.severity(text.strip())
    if found is None:
        valid = ", ".join(s.id for s in pack.severities)
        raise BadCommand(f"`{text}` is not a severity. Use one of: {valid}.")
    return found


async def change_severity(
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
) -> None:
    """Change the severity; only the commander or an admin may."""
    found = _allowed_severity(incident, text, actor=actor, pack=pack, settings=settings)
    text, blocks = _severity_post(actor, incident, found, pack)
    reannounce = _announcement_owed(incident, found)
    owed = await _change(
        incident,
        _severity_event(incident, found, pack, actor=actor, clock=clock),
        field="severity",
        value=found.id,
        line=text,
        blocks=blocks,
        elsewhere=await _notices(incident, found, pack=pack, slack=slack),
        extra=reannounce,
        replan=incident.model_copy(update={"severity": found.id}),
        db=db,
        pack=pack,
        clock=clock,
    )
    await show_change(
        incident,
        owed,
        f"severity is {found.name}",
        db=db,
        slack=slack,
        pack=pack,
        clock=clock,
        replica=replica,
    )
    if reannounce:  # setup, resumed, posts the announcement this level wants
        await set_up_or_explain(
            incident.id,
            db=db,
            slack=slack,
            pack=pack,
            clock=clock,
            settings=settings,
            replica=replica,
        )


def _severity_event(
    incident: Incident, found: Severity, pack: Pack, *, actor: str, clock: Clock
) -> Event:
    old_name = severity_name(pack, incident.severity)
    return _event(
        incident,
        actor=actor,
        kind="severity_changed",
        text=f"{old_name} → {found.name}",
        old=incident.severity,
        new=found.id,
        clock=clock,
    )


def _announcement_owed(incident: Incident, severity: Severity) -> dict[str, object] | None:
    """Raised from a level that makes no announcement to one that does: setup resumes to
    post it (the columns to change with the severity), else None."""
    if not severity.announce or incident.announcement_ts or incident.setup_state != "ready":
        return None
    done = setup.read_done(incident.setup_done) - {setup.Step.ANNOUNCED}
    return {"setup_state": "channel", "setup_done": setup.write_done(done)}


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
    event = _event(
        incident,
        actor=actor,
        kind="status_changed",
        text=f"{old.label} → {new.label}",
        old=old.value,
        new=new.value,
        clock=clock,
    )
    owed = await _change(
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
) -> None:
    """Resolve with an optional summary; only the commander or an admin may."""
    require_command_authority(
        "resolve", actor=actor, commander=incident.commander_id, admins=settings.incident_admins
    )
    rules.check_open(rules.Status(incident.status), "resolve it again")
    summary = clip(unescape(summary).strip(), SUMMARY_LIMIT)
    now = clock()
    event = _event(
        incident,
        actor=actor,
        kind="resolved",
        text=summary or "Resolved",
        old=incident.status,
        summary=summary,
        clock=clock,
    )
    owed = await _change(
        incident,
        event,
        field="status",
        value=rules.Status.RESOLVED.value,
        line=lines.resolved_line(actor=actor, summary=summary or None),
        extra={"resolved_at": now, "summary": summary or None},
        resolved=True,
        db=db,
        pack=pack,
        clock=clock,
    )
    not_shown = None
    try:
        await show_change(
            incident, owed, "resolved", db=db, slack=slack, pack=pack, clock=clock, replica=replica
        )
    except NotShown as lagging:  # the recovery checklist is still due
        not_shown = lagging
    await checklists.post_on_resolve(incident, db=db, slack=slack, pack=pack, clock=clock)
    if not_shown is not None:
        raise not_shown


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
    event = _event(incident, actor=actor, kind="reopened", text="Reopened", clock=clock)
    owed = await _change(
        incident,
        event,
        field="status",
        value=rules.Status.INVESTIGATING.value,
        line=lines.reopened_line(actor=actor),
        extra={"resolved_at": None},
        replan=incident.model_copy(update={"status": "investigating"}),
        db=db,
        pack=pack,
        clock=clock,
    )
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


async def assign_role(
    incident: Incident,
    *,
    actor: str,
    role_text: str,
    user: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> None:
    """Give a pack role to a person; single roles keep exactly one holder."""
    role = _find_role(role_text, pack=pack)
    if role.id == "commander":
        await hand_over_command(
            incident,
            actor=actor,
            new=user,
            db=db,
            slack=slack,
            pack=pack,
            clock=clock,
            settings=settings,
            replica=replica,
        )
        return
    rules.check_open(rules.Status(incident.status), "assign roles")
    holder = await _check_role_assignment(
        incident, role, actor=actor, user=user, db=db, settings=settings
    )
    await people.require_person(user, f"the {role.name}", slack=slack)
    owed = await _record_role_change(
        incident, role, actor=actor, user=user, holder=holder, db=db, clock=clock
    )
    await show_change(
        incident,
        owed,
        f"<@{user}> is {role.name}",
        invite=frozenset({user}),
        db=db,
        slack=slack,
        pack=pack,
        clock=clock,
        replica=replica,
    )
    await people.brief(incident, role, user=user, slack=slack)


def _find_role(role_text: str, *, pack: Pack) -> Role:
    """The pack's role this text names, or BadCommand listing the valid ones."""
    role = pack.role(role_text)
    if role is None:
        valid = ", ".join(f"`{r.id}`" for r in pack.roles)
        raise BadCommand(f"`{role_text}` is not a role. Use one of: {valid}.")
    return role


async def _check_role_assignment(
    incident: Incident, role: Role, *, actor: str, user: str, db: Database, settings: Settings
) -> str | None:
    """Check who may assign this role to `user`; returns a single role's current holder."""
    async with db.reader() as session:
        holders = (await repo.role_holders(session=session, incident=incident.id)).get(role.id, [])
    holder = holders[0] if role.single and holders else None
    require_role_authority(
        role.name,
        actor=actor,
        assignee=user,
        holder=holder,
        commander=incident.commander_id,
        admins=settings.incident_admins,
    )
    if user in holders:
        raise InvalidTransition(f"<@{user}> is already {role.name}.")
    return holder


async def _record_role_change(
    incident: Incident,
    role: Role,
    *,
    actor: str,
    user: str,
    holder: str | None,
    db: Database,
    clock: Clock,
) -> list[OutboxPost]:
    """Record the role change, its event and its line in one unit of work; Conflict if the
    role changed hands meanwhile. Returns the post it owes."""
    event = _event(
        incident,
        actor=actor,
        kind="role_assigned",
        text=f"{role.name}: <@{user}>",
        role=role.id,
        user=user,
        previous=holder,
        clock=clock,
    )
    async with unit_of_work(db) as session:
        assigned = await repo.assign_role(
            session=session,
            incident=incident.id,
            role=role.id,
            user=user,
            single=role.single,
            expected=holder,
            now=event.at,
            event=event,
        )
        if not assigned:
            raise Conflict(
                f"{role.name} changed hands at the same moment, so nothing was changed. "
                "Check the card and try again."
            )
        line = lines.role_assigned_line(actor=actor, role=role.name, assignee=user, previous=holder)
        return [outbox.owe(session, incident, line, clock=clock)]
