"""`/incident …`: ack at once, then dispatch the subcommand to a service."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.blocks.choices import playbook_choices_text
from bot.blocks.format import user_text
from bot.blocks.messages import help_text, incident_list_text, timeline_blocks
from bot.blocks.stakeholders import stats_text
from bot.deps import Deps
from bot.domain import commands
from bot.domain.errors import BadCommand
from bot.domain.stats import parse_days
from bot.services import (
    changes,
    command,
    comms,
    escalate,
    paging,
    playbooks,
    records,
    roles,
    severity,
    stats,
    status,
)
from bot.services.channel_setup import set_up_or_explain, setup_delayed_text
from bot.services.declare import Declaration, declare_incident
from bot.services.views import (
    Incident,
    alert_guidance,
    declare_form,
    severity_name,
    wording_warning,
)
from handlers.follow_ups import follow_up_command, follow_ups_command
from handlers.incident_log import log_command
from handlers.listening import listener

log = logging.getLogger(__name__)
FORM_EXPIRED = (
    "The declare form could not open in time (Slack allows 3 seconds). Type "
    "`/incident declare` again."
)

Scoped = Callable[[Deps, Incident, str, str, AsyncRespond], Awaitable[None]]


async def _commander(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    words = commands.require_text(rest, "/incident commander @user").split()
    await command.hand_over_command(
        i,
        actor=user,
        new=commands.parse_user(words[0]),
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
    )


async def _role(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    role, assignee = commands.parse_role_assignment(rest)
    await roles.assign_role(
        i,
        actor=user,
        role_text=role,
        user=assignee,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
    )


async def _severity(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    text = commands.require_text(rest, "/incident severity <severity>")
    await severity.change_severity(
        i,
        actor=user,
        text=text,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
    )


async def _status(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    text = commands.require_text(rest, "/incident status <investigating|identified|monitoring>")
    await status.change_status(
        i,
        actor=user,
        text=text,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
        pagers=deps.pagers,
    )


async def _update(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    customer, rest = commands.split_flag(rest, "customer")
    if not customer:
        text = commands.require_text(rest, "/incident update <text>")
        await records.post_update(
            i,
            actor=user,
            text=text,
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            replica=deps.replica,
        )
        return
    audience = None
    if rest.startswith("--to "):
        _, name, rest = (rest.split(None, 2) + ["", ""])[:3]
        audience = comms.find_audience(deps.pack, name)
    if not rest.strip():
        raise BadCommand(
            "Give the update: `/incident update --customer [--to <audience>] <text>`. "
            f"This pack's wording to start from: {user_text(deps.pack.comms.template, 500)}"
        )
    text = commands.require_text(rest, "/incident update --customer [--to <audience>] <text>")
    draft = await comms.submit_customer_update(
        i,
        actor=user,
        text=text,
        audience=audience,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        replica=deps.replica,
    )
    if draft is not None:
        await respond(**wording_warning(draft, deps.pack))


async def _playbook(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    if rest:
        await playbooks.attach_playbook(
            i,
            actor=user,
            playbook_id=rest.split()[0],
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            replica=deps.replica,
            calendar=deps.settings.calendar,
        )
        return
    suggested = deps.pack.suggest_playbook(i.title)
    choices = [(p.id, p.title, severity_name(deps.pack, p.severity)) for p in deps.pack.playbooks]
    await respond(text=playbook_choices_text(choices, suggested.id if suggested else None))


async def _note(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    text = commands.require_text(rest, "/incident note <text>")
    await records.add_note(
        i,
        actor=user,
        text=text,
        db=deps.db,
        slack=deps.slack,
        clock=deps.clock,
        replica=deps.replica,
    )


async def _escalate(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    if not rest:
        text, blocks = escalate.menu(deps.pack)
        await respond(text=text, blocks=blocks or None)
        return
    await escalate.confirm_condition(
        i,
        actor=user,
        text=rest,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
        pagers=deps.pagers,
    )


async def _page(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    target = commands.parse_page_target(commands.require_text(rest, "/incident page <level|@user>"))
    if isinstance(target, int):
        reply = await paging.page_level(
            i,
            actor=user,
            number=target,
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            settings=deps.settings,
            replica=deps.replica,
            pagers=deps.pagers,
        )
        if reply:
            await respond(text=reply)
        return
    await paging.page_person(
        i,
        actor=user,
        person=target,
        db=deps.db,
        slack=deps.slack,
        clock=deps.clock,
        replica=deps.replica,
    )


async def _timeline(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    lines = await records.timeline_lines(i.id, db=deps.db)
    await respond(text=f"Timeline of {i.id}", blocks=timeline_blocks(i.id, lines))


async def _resolve(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    await status.resolve(
        i,
        actor=user,
        summary=rest,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
        pagers=deps.pagers,
    )


async def _reopen(deps: Deps, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    await status.reopen(
        i,
        actor=user,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
    )


SCOPED: dict[str, Scoped] = {
    "commander": _commander,
    "role": _role,
    "severity": _severity,
    "status": _status,
    "update": _update,
    "note": _note,
    "escalate": _escalate,
    "page": _page,
    "timeline": _timeline,
    "resolve": _resolve,
    "reopen": _reopen,
    "playbook": _playbook,
    "follow-up": follow_up_command,
    "follow-ups": follow_ups_command,
}


def _unknown(name: str, deps: Deps) -> str:
    """An unknown subcommand: the closest known one, if any, then the help."""
    guess = commands.closest_subcommand(name)
    hint = f" Did you mean `{guess}`?" if guess else ""
    return f"I don't know `{user_text(name, 50)}`.{hint}\n\n{_help(deps)}"


def _help(deps: Deps) -> str:
    return help_text(
        severities=[s.id for s in deps.pack.severities],
        roles=[r.name for r in deps.pack.roles],
        guidance=alert_guidance(deps.pack),
    )


async def _declare(deps: Deps, command: dict[str, Any], rest: str, respond: AsyncRespond) -> None:
    user = command["user_id"]
    if not rest:
        metadata = json.dumps({"channel_id": command.get("channel_id", "")})
        try:
            await deps.slack.client.views_open(
                trigger_id=command["trigger_id"],
                view=declare_form(deps.pack, declarer=user, private_metadata=metadata),
            )
        except SlackApiError as error:
            if error.response.get("error") != "expired_trigger_id":
                raise
            await respond(text=FORM_EXPIRED)  # e.g. replayed after a restart: too late
        return

    def find(text: str) -> str | None:
        found = deps.pack.severity(text)
        return found.id if found else None

    args = commands.parse_declare(rest, find)
    declaration = Declaration(
        title=args.title,
        severity=args.severity or "",
        declarer=user,
        playbook_id=args.playbook,
        private=args.private,
    )
    incident = await declare_incident(
        declaration,
        db=deps.db,
        pack=deps.pack,
        clock=deps.clock,
        replica=deps.replica,
        calendar=deps.settings.calendar,
    )
    # The reply and the channel setup don't depend on each other: run them together.
    _, (ready, problem) = await asyncio.gather(
        _say(respond, f":rotating_light: Declared *{incident.id}*. Setting up the channel…"),
        set_up_or_explain(
            incident.id,
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            settings=deps.settings,
            replica=deps.replica,
        ),
    )
    if ready is None:
        await _say(respond, setup_delayed_text(incident.id, problem))
    elif ready.channel_id:
        await _say(respond, f"*{incident.id}* is live in <#{ready.channel_id}>.")


async def _say(respond: AsyncRespond, text: str) -> None:
    """A private progress note; losing one must not stop the declaration's setup."""
    try:
        await respond(text=text)
    except Exception as error:  # noqa: BLE001 - the channel and card are the real outcome
        log.warning("could not send a progress note: %r", error)


async def _stats(deps: Deps, rest: str, respond: AsyncRespond) -> None:
    """`/incident stats [days]`: per severity, only to the one who asked."""
    try:
        days = parse_days(rest)
    except ValueError as error:
        raise BadCommand(str(error)) from None
    rows = await stats.incident_stats(days=days, db=deps.db, pack=deps.pack, clock=deps.clock)
    names = {s.id: s.name for s in deps.pack.severities}
    await respond(text=stats_text(rows, days=days, names=names))


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind `/incident`."""

    @app.command("/incident")
    @listener(deps)
    async def on_incident(
        ack: AsyncAck,
        body: dict[str, Any],
        command: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        name, rest = commands.split_subcommand(command.get("text") or "")
        if name == "declare":
            await _declare(deps, command, rest, respond)
        elif name == "list":
            await respond(
                text=incident_list_text(
                    await records.open_incident_views(
                        db=deps.db, pack=deps.pack, viewer=command["user_id"]
                    )
                )
            )
        elif name == "stats":
            await _stats(deps, rest, respond)
        elif name == "log":  # its form needs the command's trigger_id
            incident = await changes.incident_for_channel(
                command.get("channel_id", ""), name, db=deps.db
            )
            await log_command(deps, incident, command, rest, respond)
        elif name in SCOPED:
            incident = await changes.incident_for_channel(
                command.get("channel_id", ""), name, db=deps.db
            )
            await SCOPED[name](deps, incident, command["user_id"], rest, respond)
        elif name in ("", "help"):
            await respond(text=_help(deps))
        else:
            await respond(text=_unknown(name, deps))
