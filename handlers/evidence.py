"""Messages into incidents: 📌 reactions, the "Add to incident timeline" shortcut (and the
modal asking which incident), and the "Declare incident from this message" shortcut."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.blocks.evidence import added_text, pick_incident_view, read_picked_incident
from bot.blocks.ids import BlockId, CallbackId
from bot.delivery_keys import view_key
from bot.deps import Deps
from bot.domain.errors import BadCommand, DomainError
from bot.domain.evidence import (
    PIN_REACTION,
    MessageLink,
    SourceMessage,
    declare_metadata,
    decode_pick,
    description_from,
    encode_pick,
    source_message,
    title_from,
)
from bot.intake import ADMIT_BUDGET, AlreadyHandled
from bot.services import evidence
from bot.services.views import declare_form
from handlers.deliveries import NOT_RECORDED, admit_with_effect, tell_through_response_url
from handlers.listening import listener

log = logging.getLogger(__name__)
NOTHING_OPEN = (
    "No incident is open, so there is no timeline to add this message to. To start one "
    "from it, use the shortcut *Declare incident from this message*."
)
FORM_EXPIRED = "The form could not open in time (Slack allows 3 seconds). Use the shortcut again."
CHOOSE = "Choose one of the open incidents."
SLOW = "The incident database is slow to answer. Adding again is safe: a message is added once."


def _shortcut_message(body: dict[str, Any]) -> tuple[str, SourceMessage]:
    """Who used a message shortcut, and on which message."""
    channel = str((body.get("channel") or {}).get("id") or "")
    return body["user"]["id"], source_message(channel, body.get("message") or {})


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind `reaction_added`, both message shortcuts and the incident picker's submission."""

    @app.event("reaction_added")
    @listener(deps)
    async def on_reaction(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        item = event.get("item") or {}
        reactor = str(event.get("user") or "")
        channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        if event.get("reaction") != PIN_REACTION or item.get("type") != "message":
            return
        if not channel or not ts or not reactor or reactor == context.bot_user_id:
            return
        added = await evidence.pin_from_reaction(
            channel, ts, reactor=reactor, db=deps.db, slack=deps.slack, clock=deps.clock
        )
        if added is not None:
            await _tell_privately(deps, channel, reactor, added)

    @app.shortcut(CallbackId.ADD_TO_TIMELINE.value)
    @listener(deps)
    async def on_add_to_timeline(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        user, message = _shortcut_message(body)
        incident = await evidence.incident_of_channel(message.channel, db=deps.db)
        if incident is None:
            await _ask_which_incident(deps, body, message, respond)
            return
        added = await evidence.add_message(
            incident, message, actor=user, via="shortcut", **_collaborators(deps)
        )
        text = added_text(incident.id, added.message, added.permalink, new=added.new)
        await respond(text=text, response_type="ephemeral", replace_original=False)

    @app.view(CallbackId.PICK_INCIDENT.value)
    @listener(deps, ack_first=False)
    async def on_pick(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await _add_picked(deps, ack, body, view, context)

    @app.shortcut(CallbackId.DECLARE_FROM_MESSAGE.value)
    @listener(deps)
    async def on_declare_from_message(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        user, message = _shortcut_message(body)
        permalink = await evidence.permalink_of(message.channel, message.ts, slack=deps.slack)
        title = title_from(message.text)
        suggested = deps.pack.suggest_playbook(title) if title else None
        form = declare_form(
            deps.pack,
            declarer=user,
            private_metadata=declare_metadata(MessageLink(message.channel, message.ts, permalink)),
            suggested=suggested.id if suggested else None,
            title=title,
            description=description_from(message, permalink),
        )
        await _open(deps, body["trigger_id"], form, respond)


def _collaborators(deps: Deps) -> dict[str, Any]:
    return {"db": deps.db, "slack": deps.slack, "clock": deps.clock}


async def _open(deps: Deps, trigger_id: str, view: dict[str, Any], respond: AsyncRespond) -> None:
    """Open a modal, or say it is too late to (a replay after a restart, a slow Slack)."""
    try:
        await deps.slack.client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") != "expired_trigger_id":
            raise
        await respond(text=FORM_EXPIRED, response_type="ephemeral", replace_original=False)


async def _ask_which_incident(
    deps: Deps, body: dict[str, Any], message: SourceMessage, respond: AsyncRespond
) -> None:
    """Outside an incident channel: a modal with a select of the open incidents."""
    incidents = await evidence.open_incidents(db=deps.db)
    if not incidents:
        raise BadCommand(NOTHING_OPEN)
    view = pick_incident_view(
        [(i.id, i.title) for i in incidents],
        message=message,
        private_metadata=encode_pick(message, str(body.get("response_url") or "")),
    )
    await _open(deps, body["trigger_id"], view, respond)


async def _add_picked(
    deps: Deps, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Add the message to the chosen incident; the modal closes once it is committed."""
    picked = read_picked_incident((view.get("state") or {}).get("values") or {})
    kept = decode_pick(view.get("private_metadata") or "")
    incident = await evidence.get_incident(picked, db=deps.db) if picked else None
    if incident is None or kept is None:
        await ack(response_action="errors", errors={BlockId.INCIDENT: CHOOSE})
        return
    message, response_url = kept
    admit_with_effect(deps.clock, context, view_key(view), body)
    adding = asyncio.ensure_future(
        evidence.add_message(
            incident, message, actor=body["user"]["id"], via="shortcut", **_collaborators(deps)
        )
    )
    try:
        added = await asyncio.wait_for(asyncio.shield(adding), ADMIT_BUDGET)
    except AlreadyHandled:
        await ack()  # the same modal submitted twice adds once
        return
    except TimeoutError:
        await ack(response_action="errors", errors={BlockId.INCIDENT: SLOW})
        added = await adding
    except Exception as error:
        log.warning("could not add a message to %s: %r", incident.id, error)
        reason = str(error) if isinstance(error, DomainError) else NOT_RECORDED
        await ack(response_action="errors", errors={BlockId.INCIDENT: reason})
        return
    else:
        await ack()
    text = added_text(incident.id, added.message, added.permalink, new=added.new)
    await tell_through_response_url(deps.slack, {"response_url": response_url}, text)


async def _tell_privately(deps: Deps, channel: str, user: str, added: evidence.Added) -> None:
    """Tell the person who pinned the message that it is in the timeline (best effort)."""
    text = added_text(added.incident.id, added.message, added.permalink, new=True)
    try:
        await deps.slack.client.chat_postEphemeral(channel=channel, user=user, text=text)
    except Exception as error:  # noqa: BLE001 - the timeline entry is what matters
        log.info("could not tell %s that a message was added: %r", user, error)
