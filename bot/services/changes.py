"""Changing an incident: command, severity, status, roles, resolve and reopen."""

from __future__ import annotations

from bot.blocks import lines
from bot.domain import incident as rules
from bot.domain.errors import BadCommand, Conflict, InvalidTransition, NotInIncidentChannel
from bot.domain.policy import require_command_authority, require_role_authority
from bot.domain.text import clip, unescape
from bot.runtime import Runtime
from bot.services import channels, checklists, timers
from bot.services.display import post_line, refresh_display
from bot.services.views import severity_name
from storage import repo
from storage.models import Incident

SUMMARY_LIMIT = 3000


async def incident_for_channel(rt: Runtime, channel_id: str, subcommand: str) -> Incident:
    """The incident of this channel, or NotInIncidentChannel."""
    async with rt.db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel_id)
    if incident is None:
        raise NotInIncidentChannel(subcommand)
    return incident


async def _change(
    rt: Runtime,
    incident: Incident,
    *,
    field: str,
    value: str,
    actor: str,
    kind: str,
    text: str,
    extra: dict[str, object] | None = None,
    then: repo.Then = None,
    **data: object,
) -> None:
    """Conditional update + event (+ `then`) in one commit; Conflict if someone was first."""
    expected = getattr(incident, field)
    event = repo.new_event(
        incident=incident.id, at=rt.clock(), actor=actor, kind=kind, text=text, **data
    )
    async with rt.db.session() as session:
        ok = await repo.change_if(
            session=session,
            incident=incident.id,
            field=field,
            expected=expected,
            new=value,
            event=event,
            extra=extra,
            then=then,
        )
    if not ok:
        raise Conflict(
            "Someone changed this incident at the same moment, so nothing was "
            "changed. Check the card and try again."
        )


async def hand_over_command(rt: Runtime, incident: Incident, *, actor: str, new: str) -> None:
    """Make `new` the commander; only the commander or an admin may."""
    old = incident.commander_id
    require_command_authority(
        "hand_over", actor=actor, commander=old, admins=rt.settings.incident_admins
    )
    rules.check_open(rules.Status(incident.status), "hand over command")
    if new == old:
        raise InvalidTransition(f"<@{new}> is already the incident commander.")
    try:
        await _change(
            rt,
            incident,
            field="commander_id",
            value=new,
            actor=actor,
            kind="commander_changed",
            text=f"<@{old}> → <@{new}>",
            old=old,
            new=new,
        )
    except Conflict:
        async with rt.db.session() as session:
            now = await repo.get_incident(session=session, incident=incident.id)
        current = now.commander_id if now else "?"
        raise Conflict(
            f"Command changed hands meanwhile: <@{current}> is now the commander. "
            "Nothing was changed."
        ) from None
    await _invite_quietly(rt, incident, new)
    await refresh_display(rt, incident.id)
    await post_line(rt, incident, lines.commander_changed_line(actor=actor, old=old, new=new))


async def change_severity(rt: Runtime, incident: Incident, *, actor: str, text: str) -> None:
    """Change the severity; only the commander or an admin may."""
    found = rt.pack.severity(text.strip())
    if found is None:
        valid = ", ".join(s.id for s in rt.pack.severities)
        raise BadCommand(f"`{text}` is not a severity. Use one of: {valid}.")
    require_command_authority(
        "severity", actor=actor, commander=incident.commander_id, admins=rt.settings.incident_admins
    )
    rules.check_open(rules.Status(incident.status), "change its severity")
    rules.check_severity_change(incident.severity, found.id)
    old_name = severity_name(rt.pack, incident.severity)
    await _change(
        rt,
        incident,
        field="severity",
        value=found.id,
        actor=actor,
        kind="severity_changed",
        text=f"{old_name} → {found.name}",
        old=incident.severity,
        new=found.id,
        then=lambda session: timers.plan_open_incident(
            session, rt.pack, incident.model_copy(update={"severity": found.id}), rt.clock()
        ),
    )
    await refresh_display(rt, incident.id)
    await post_line(
        rt, incident, lines.severity_changed_line(actor=actor, old=old_name, new=found.name)
    )


async def change_status(rt: Runtime, incident: Incident, *, actor: str, text: str) -> None:
    """Move between open statuses; `resolved` resolves."""
    new = rules.parse_status(text)
    if new is rules.Status.RESOLVED:
        await resolve(rt, incident, actor=actor, summary="")
        return
    old = rules.Status(incident.status)
    rules.check_status_change(old, new)
    await _change(
        rt,
        incident,
        field="status",
        value=new.value,
        actor=actor,
        kind="status_changed",
        text=f"{old.label} → {new.label}",
        old=old.value,
        new=new.value,
    )
    await refresh_display(rt, incident.id)
    await post_line(
        rt, incident, lines.status_changed_line(actor=actor, old=old.label, new=new.label)
    )


async def resolve(rt: Runtime, incident: Incident, *, actor: str, summary: str) -> None:
    """Resolve with an optional summary; only the commander or an admin may."""
    require_command_authority(
        "resolve", actor=actor, commander=incident.commander_id, admins=rt.settings.incident_admins
    )
    rules.check_open(rules.Status(incident.status), "resolve it again")
    summary = clip(unescape(summary).strip(), SUMMARY_LIMIT)
    now = rt.clock()
    await _change(
        rt,
        incident,
        field="status",
        value=rules.Status.RESOLVED.value,
        actor=actor,
        kind="resolved",
        text=summary or "Resolved",
        extra={"resolved_at": now, "summary": summary or None},
        old=incident.status,
        summary=summary,
        then=lambda session: timers.stop_for_resolve(session, rt.pack, incident, now),
    )
    await refresh_display(rt, incident.id)
    await post_line(rt, incident, lines.resolved_line(actor=actor, summary=summary or None))
    await checklists.post_on_resolve(rt, incident)


async def reopen(rt: Runtime, incident: Incident, *, actor: str) -> None:
    """Reopen a resolved incident as Investigating; only the commander or an admin may."""
    require_command_authority(
        "reopen", actor=actor, commander=incident.commander_id, admins=rt.settings.incident_admins
    )
    rules.check_reopen(rules.Status(incident.status))
    await _change(
        rt,
        incident,
        field="status",
        value=rules.Status.INVESTIGATING.value,
        actor=actor,
        kind="reopened",
        text="Reopened",
        extra={"resolved_at": None},
        then=lambda session: timers.plan_open_incident(
            session, rt.pack, incident.model_copy(update={"status": "investigating"}), rt.clock()
        ),
    )
    await refresh_display(rt, incident.id)
    await post_line(rt, incident, lines.reopened_line(actor=actor))


async def assign_role(
    rt: Runtime, incident: Incident, *, actor: str, role_text: str, user: str
) -> None:
    """Give a pack role to someone; single roles keep exactly one holder."""
    role = rt.pack.role(role_text)
    if role is None:
        valid = ", ".join(f"`{r.id}`" for r in rt.pack.roles)
        raise BadCommand(f"`{role_text}` is not a role. Use one of: {valid}.")
    if role.id == "commander":
        await hand_over_command(rt, incident, actor=actor, new=user)
        return
    rules.check_open(rules.Status(incident.status), "assign roles")
    async with rt.db.session() as session:
        holders = (await repo.role_holders(session=session, incident=incident.id)).get(role.id, [])
    holder = holders[0] if role.single and holders else None
    require_role_authority(
        role.name,
        actor=actor,
        assignee=user,
        holder=holder,
        commander=incident.commander_id,
        admins=rt.settings.incident_admins,
    )
    if user in holders:
        raise InvalidTransition(f"<@{user}> is already {role.name}.")
    event = repo.new_event(
        incident=incident.id,
        at=rt.clock(),
        actor=actor,
        kind="role_assigned",
        text=f"{role.name}: <@{user}>",
        role=role.id,
        user=user,
        previous=holder,
    )
    async with rt.db.session() as session:
        ok = await repo.assign_role(
            session=session,
            incident=incident.id,
            role=role.id,
            user=user,
            single=role.single,
            expected=holder,
            now=rt.clock(),
            event=event,
        )
    if not ok:
        raise Conflict(
            f"{role.name} changed hands at the same moment, so nothing was changed. "
            "Check the card and try again."
        )
    await _invite_quietly(rt, incident, user)
    await refresh_display(rt, incident.id)
    await post_line(
        rt,
        incident,
        lines.role_assigned_line(actor=actor, role=role.name, assignee=user, previous=holder),
    )
    if role.instructions and incident.channel_id:
        await rt.client.chat_postEphemeral(
            channel=incident.channel_id,
            user=user,
            text=f"You are now *{role.name}* for {incident.id}.\n{role.instructions}",
        )


async def _invite_quietly(rt: Runtime, incident: Incident, user: str) -> None:
    if incident.channel_id:
        await channels.invite_members(rt, incident.channel_id, {user})
