"""Who may do what. Pure rules: the caller looks up the facts and passes them in."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.domain.errors import NotAllowed

COMMANDER_ONLY_ACTIONS = {
    "hand_over": "hand over command",
    "severity": "change the severity",
    "resolve": "resolve the incident",
    "reopen": "reopen the incident",
}


def is_in_command(actor: str, commander: str, admins: Collection[str]) -> bool:
    """The commander and incident admins hold command authority."""
    return actor == commander or actor in admins


def require_command_authority(
    action: str, *, actor: str, commander: str, admins: Collection[str]
) -> None:
    """Refuse a commander-only action, naming the commander and how to ask for a handover."""
    if is_in_command(actor, commander, admins):
        return
    what = COMMANDER_ONLY_ACTIONS.get(action, action)
    raise NotAllowed(
        f"Only the incident commander (<@{commander}>) or an incident admin can {what}. "
        f"Ask <@{commander}> to do it, or to hand over with `/incident commander <@{actor}>`."
    )


def require_role_authority(
    role_name: str,
    *,
    actor: str,
    assignee: str,
    holder: str | None,
    commander: str,
    admins: Collection[str],
) -> None:
    """Commander and admins assign any role; anyone may take a free role or pass on their own."""
    if is_in_command(actor, commander, admins):
        return
    if holder is None and assignee == actor:
        return
    if holder == actor:
        return
    who = f"<@{holder}> (who holds it), " if holder else ""
    raise NotAllowed(
        f"Only {who}the incident commander (<@{commander}>) or an incident admin can assign "
        f"{role_name}. You can take a role nobody holds with `/incident role <role> <@{actor}>`."
    )


def require_step_authority(
    role_name: str | None,
    *,
    single: bool,
    holder: str | None,
    actor: str,
    commander: str,
    admins: Collection[str],
) -> None:
    """Anyone may click a step, except one whose single role someone else holds."""
    if not single or holder is None or holder == actor:
        return
    if is_in_command(actor, commander, admins):
        return
    raise NotAllowed(
        f"This step belongs to the {role_name} (<@{holder}>). Only they, the incident "
        f"commander (<@{commander}>) or an incident admin can change it."
    )


@dataclass(frozen=True)
class Person:
    """What Slack says about a user the bot is asked to give a role to."""

    id: str
    found: bool = True
    deleted: bool = False
    is_bot: bool = False


# Slackbot is not flagged as a bot by users.info, but it can hold no role.
SLACKBOT = "USLACKBOT"


def check_can_hold(person: Person, role: str, *, bot_user: str | None) -> None:
    """Only an active human in the workspace can be given a role; refuse anyone else.

    `role` reads after "can't be", article included: "the incident commander".
    """
    who = f"<@{person.id}>"
    if person.id == bot_user:
        raise NotAllowed(f"I can't be {role} myself. Pick a person.")
    if not person.found:
        raise NotAllowed(
            f"I can't find {who} in this workspace, so they can't be {role}. "
            "Pick someone from this workspace."
        )
    if person.deleted:
        raise NotAllowed(f"{who} is deactivated, so they can't be {role}. Pick someone else.")
    if person.is_bot or person.id == SLACKBOT:
        raise NotAllowed(f"{who} is a bot, so it can't be {role}. Pick a person.")
