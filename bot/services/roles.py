"""Assigning a pack role to a person: single roles keep exactly one holder."""

from __future__ import annotations

from bot.blocks import lines
from bot.clock import Clock
from bot.domain import incident as rules
from bot.domain.errors import (
    BadCommand,
    Conflict,
    InvalidTransition,
)
from bot.domain.policy import require_role_authority
from bot.replica import Replica
from bot.services import outbox, people
from bot.services.changes import timeline_event
from bot.services.command import hand_over_command
from bot.services.display import show_change
from bot.services.unit import unit_of_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack, Role
from storage import repo
from storage.db import Database
from storage.models import Incident, OutboxPost


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
    event = timeline_event(
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
