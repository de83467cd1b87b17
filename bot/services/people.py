"""People and roles: who may be given a role (asked of Slack before anything is saved),
and telling a role's new holder what the pack expects of them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from slack_sdk.errors import SlackApiError

from bot.blocks.notices import role_brief_text
from bot.domain import escalation
from bot.domain.errors import DomainError
from bot.domain.policy import Person, check_can_hold
from bot.services import channels
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack, Role
from storage.models import Incident

log = logging.getLogger(__name__)


async def person(user_id: str, *, slack: SlackGateway) -> Person:
    """What users.info says about a user; DomainError when Slack cannot be asked."""
    try:
        response = await slack.client.users_info(user=user_id)
    except SlackApiError as error:
        if error.response.get("error") == "user_not_found":
            return Person(id=user_id, found=False)
        raise _cannot_check(user_id, error.response.get("error", "error")) from error
    except Exception as error:  # noqa: BLE001 - Slack unreachable: refuse rather than guess
        raise _cannot_check(user_id, type(error).__name__) from error
    user = response.get("user") or {}
    return Person(
        id=user_id,
        deleted=bool(user.get("deleted")),
        is_bot=bool(user.get("is_bot") or user.get("is_app_user")),
    )


async def names(user_ids: Iterable[str], *, slack: SlackGateway) -> dict[str, str]:
    """User ID → the name Slack shows (real name, else display name, else handle). Anyone
    Slack cannot tell us about now is left out; the caller shows their ID instead."""

    async def one(user_id: str) -> tuple[str, str]:
        try:
            response = await slack.client.users_info(user=user_id)
        except Exception as error:  # noqa: BLE001 - a name is a nicety; the ID still shows
            log.info("no name for %s: %r", user_id, error)
            return user_id, ""
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        return user_id, str(
            user.get("real_name") or profile.get("display_name") or user.get("name") or ""
        )

    found = await asyncio.gather(*(one(u) for u in sorted(set(user_ids))))
    return {user_id: name for user_id, name in found if name}


async def require_person(user_id: str, role: str, *, slack: SlackGateway) -> None:
    """Refuse (before saving) a role for the bot, another bot, or a missing or gone user."""
    bot_user = (await slack.identity()).get("bot_user_id")
    if user_id == bot_user:
        check_can_hold(Person(id=user_id), role, bot_user=bot_user)
    check_can_hold(await person(user_id, slack=slack), role, bot_user=bot_user)


def _cannot_check(user_id: str, reason: str) -> DomainError:
    return DomainError(
        f":warning: I couldn't check <@{user_id}> with Slack ({reason}), so nothing was "
        "changed. Try again in a moment."
    )


async def brief(
    incident: Incident,
    role: Role | None,
    *,
    user: str,
    slack: SlackGateway,
    rules: Sequence[str] = (),
    escalate: Sequence[str] = (),
    notify: Sequence[str] = (),
    decider: str = "",
) -> bool:
    """Show a role's new holder the pack's instructions for it, privately in the incident's
    channel. True when shown, when there is nothing to show, or when Slack refuses it for
    good (the person is not in the channel…): only a passing failure is worth a retry."""
    if role is None or not role.instructions or not incident.channel_id:
        return True
    try:
        await slack.client.chat_postEphemeral(
            channel=incident.channel_id,
            user=user,
            text=role_brief_text(
                role=role.name,
                incident_id=incident.id,
                instructions=role.instructions,
                rules=rules,
                escalate=escalate,
                notify=notify,
                description=role.description,
                decider=decider,
            ),
        )
    except Exception as error:  # noqa: BLE001 - best effort: the card names the role too
        log.warning("could not brief %s as %s of %s: %r", user, role.id, incident.id, error)
        return channels.is_final(error)
    return True


async def brief_commander(
    incident: Incident, *, user: str, pack: Pack, slack: SlackGateway
) -> bool:
    """Brief the commander: the role's instructions, the pack's rules, the conditions that
    escalate, and whom the pack says to notify at the incident's severity."""
    severity = pack.severity(incident.severity)
    return await brief(
        incident,
        pack.role("commander"),
        user=user,
        slack=slack,
        rules=pack.rules,
        escalate=escalation.brief_lines(pack),
        notify=severity.notify if severity else (),
        decider=severity.decision_maker or "" if severity else "",
    )
