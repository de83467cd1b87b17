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

from bot.blocks.choices import customer_warning_blocks, playbook_choices_text
from bot.blocks.format import user_text
from bot.blocks.messages import help_text, incident_list_text, timeline_blocks
from bot.domain import commands
from bot.domain.text import clip, safe_mrkdwn
from bot.intake import HANDLING
from bot.runtime import Runtime
from bot.services import changes, comms, playbooks, posts, records
from bot.services.declare import (
    declare_incident,
    playbook_plan,
    set_up_or_explain,
    setup_delayed_text,
)
from bot.services.export import incident_log_markdown
from bot.services.views import Incident, severity_name
from handlers.declare_modal import declare_modal
from handlers.listening import listener

log = logging.getLogger(__name__)
FORM_EXPIRED = (
    "The declare form could not open in time (Slack allows 3 seconds). Type "
    "`/incident declare` again."
)

Scoped = Callable[[Runtime, Incident, str, str, AsyncRespond], Awaitable[None]]


async def _commander(rt: Runtime, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    words = commands.require_text(rest, "/incident commander @user").split()
    await changes.hand_over_command(rt, i, actor=user, new=commands.parse_user(words[0]))


async def _role(rt: Runtime, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    role, assignee = commands.parse_role_assignment(rest)
    await changes.assign_role(rt, i, actor=user, role_text=role, user=assignee)


async def _severity(rt: Runtime, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    text = commands.require_text(rest, "/incident severity <severity>")
    await changes.change_severity(rt, i, actor=user, text=text)


async def _status(rt: Runtime, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    text = commands.require_text(rest, "/incident status <investigating|identified|monitoring>")
    await changes.change_status(rt, i, actor=user, text=text)


async def _update(rt: Runtime, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    customer, rest = commands.split_flag(rest, "customer")
    if not customer:
        text = commands.require_text(rest, "/incident update <text>")
        await records.post_update(rt, i, actor=user, text=text)
        return
    text = commands.require_text(rest, "/incident update --customer <text>")
    draft = await comms.submit_customer_update(rt, i, actor=user, text=text)
    if draft is not None:
        await respond(
            text="This customer update uses wording to avoid; nothing posted yet.",
            blocks=customer_warning_blocks(
                found=draft.found.splitlines(),
                template=rt.pack.comms.template,
                text=draft.text,
                draft_id=draft.id,
            ),
        )


async def _playbook(rt: Runtime, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    if rest:
        await playbooks.attach_playbook(rt, i, actor=user, playbook_id=rest.split()[0])
        return
    suggested = rt.pack.suggest_playbook(i.title)
    choices = [(p.id, p.title, severity_name(rt.pack, p.severity)) for p in rt.pack.playbooks]
    await respond(text=playbook_choices_text(choices, suggested.id if suggested else None))


async def _log(rt: Runtime, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    markdown = await incident_log_markdown(db=rt.db, pack=rt.pack, incident_id=i.id, now=rt.clock)
    if i.channel_id:
        await posts.post_once(
            rt.client,
            channel=i.channel_id,
            incident_id=i.id,
            # Named after the request: a replay after a crash finds this post, not a new one.
            kind=f"log:{context_key()}",
            text=clip(safe_mrkdwn(markdown), 39000),
            mrkdwn=True,
        )


def context_key() -> str:
    """The key of the Slack delivery being handled (stable across replays)."""
    delivery = HANDLING.get()
    return delivery.key if delivery else "direct"


async def _note(rt: Runtime, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    text = commands.require_text(rest, "/incident note <text>")
    await records.add_note(rt, i, actor=user, text=text)


async def _timeline(rt: Runtime, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    lines = await records.timeline_lines(rt, i.id)
    await respond(text=f"Timeline of {i.id}", blocks=timeline_blocks(i.id, lines))


async def _resolve(rt: Runtime, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    await changes.resolve(rt, i, actor=user, summary=rest)


async def _reopen(rt: Runtime, i: Incident, user: str, rest: str, respond: AsyncRespond) -> None:
    await changes.reopen(rt, i, actor=user)


SCOPED: dict[str, Scoped] = {
    "commander": _commander,
    "role": _role,
    "severity": _severity,
    "status": _status,
    "update": _update,
    "note": _note,
    "timeline": _timeline,
    "resolve": _resolve,
    "reopen": _reopen,
    "playbook": _playbook,
    "log": _log,
}


def _help(rt: Runtime) -> str:
    return help_text(
        severities=[s.id for s in rt.pack.severities], roles=[r.name for r in rt.pack.roles]
    )


async def _declare(rt: Runtime, command: dict[str, Any], rest: str, respond: AsyncRespond) -> None:
    user = command["user_id"]
    if not rest:
        metadata = json.dumps({"channel_id": command.get("channel_id", "")})
        try:
            await rt.client.views_open(
                trigger_id=command["trigger_id"],
                view=declare_modal(rt, declarer=user, private_metadata=metadata),
            )
        except SlackApiError as error:
            if error.response.get("error") != "expired_trigger_id":
                raise
            await respond(text=FORM_EXPIRED)  # e.g. replayed after a restart: too late
        return

    def find(text: str) -> str | None:
        found = rt.pack.severity(text)
        return found.id if found else None

    args = commands.parse_declare(rest, find)
    playbook = playbooks.find_playbook(rt, args.playbook) if args.playbook else None
    incident = await declare_incident(
        rt,
        title=args.title,
        severity=args.severity,
        declarer=user,
        plan=playbook_plan(playbook.id if playbook else None, suggest=True),
    )
    # The reply and the channel setup don't depend on each other: run them together.
    _, (ready, problem) = await asyncio.gather(
        _say(respond, f":rotating_light: Declared *{incident.id}*. Setting up the channel…"),
        set_up_or_explain(rt, incident.id),
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


def register(app: AsyncApp, rt: Runtime) -> None:
    """Bind `/incident`."""

    @app.command("/incident")
    @listener(rt)
    async def on_incident(
        ack: AsyncAck,
        body: dict[str, Any],
        command: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        name, rest = commands.split_subcommand(command.get("text") or "")
        if name == "declare":
            await _declare(rt, command, rest, respond)
        elif name == "list":
            await respond(text=incident_list_text(await records.open_incident_views(rt)))
        elif name in SCOPED:
            incident = await changes.incident_for_channel(rt, command.get("channel_id", ""), name)
            await SCOPED[name](rt, incident, command["user_id"], rest, respond)
        elif name in ("", "help"):
            await respond(text=_help(rt))
        else:
            await respond(text=f"I don't know `{user_text(name, 50)}`.\n\n{_help(rt)}")
