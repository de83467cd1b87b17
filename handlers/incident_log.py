"""`/incident log [set <field>: <text> | edit]` and the log form's submission."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.blocks.ids import CallbackId
from bot.delivery_keys import view_key
from bot.deps import Deps
from bot.domain import commands
from bot.domain.errors import BadCommand, DomainError
from bot.intake import ADMIT_BUDGET, HANDLING, AlreadyHandled
from bot.services import log_fields
from bot.services.export import post_incident_log
from bot.services.views import Incident
from handlers.deliveries import NOT_RECORDED, admit_with_effect
from handlers.listening import listener

log = logging.getLogger(__name__)
USAGE = (
    "Usage: `/incident log` posts the incident log; `/incident log set <field>: <text>` "
    "fills in a field; `/incident log edit` opens a form with every field to fill in."
)
FORM_EXPIRED = (
    "The log form could not open in time (Slack allows 3 seconds). Type `/incident log edit` again."
)
UNCHANGED = "The log already says that; nothing changed."
SLOW = (
    "The incident database is slow to answer. If it records this, the channel shows it "
    "shortly; saving again is safe, it is never recorded twice."
)


def context_key() -> str:
    """The key of the Slack delivery being handled (stable across replays)."""
    delivery = HANDLING.get()
    return delivery.key if delivery else "direct"


async def log_command(
    deps: Deps, incident: Incident, command: dict[str, Any], rest: str, respond: AsyncRespond
) -> None:
    """`/incident log`, `log set <field>: <text>` or `log edit`."""
    verb, text = commands.split_subcommand(rest)
    if not verb:
        await post_incident_log(
            incident,
            request_key=context_key(),
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
        )
    elif verb == "set":
        recorded = await log_fields.set_log_field(
            incident,
            actor=command["user_id"],
            text=text,
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            replica=deps.replica,
        )
        if not recorded.changes:
            await respond(text=UNCHANGED)
    elif verb == "edit":
        form = await log_fields.log_edit_form(incident, db=deps.db, pack=deps.pack)
        try:
            await deps.slack.client.views_open(trigger_id=command["trigger_id"], view=form)
        except SlackApiError as error:
            if error.response.get("error") != "expired_trigger_id":
                raise
            await respond(text=FORM_EXPIRED)  # e.g. replayed after a restart: too late
    else:
        raise BadCommand(USAGE)


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind the log form's submission."""

    @app.view(CallbackId.LOG_EDIT.value)
    @listener(deps, ack_first=False)
    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        values = (view.get("state") or {}).get("values") or {}
        submission = log_fields.read_log_form(values, view.get("private_metadata") or "")
        first_block = next(iter(values), None)
        # Closing the form says it was saved: the change is committed before the ack, with
        # the delivery's inbox row, and the channel is told after it.
        admit_with_effect(deps.clock, context, view_key(view), body)
        recording = asyncio.ensure_future(
            log_fields.edit_log_fields(
                submission, actor=body["user"]["id"], db=deps.db, pack=deps.pack, clock=deps.clock
            )
        )
        try:
            _, recorded = await asyncio.wait_for(asyncio.shield(recording), ADMIT_BUDGET)
        except AlreadyHandled:
            await ack()  # the same form submitted twice is recorded once
            return
        except TimeoutError:
            await _refuse(ack, first_block, SLOW)
            _, recorded = await recording
        except Exception as error:
            log.warning("could not record a log form: %r", error)
            await _refuse(ack, first_block, str(error) if isinstance(error, DomainError) else "")
            return
        else:
            await ack()
        await log_fields.show_log_fields(
            recorded, db=deps.db, slack=deps.slack, replica=deps.replica
        )


async def _refuse(ack: AsyncAck, block: str | None, reason: str) -> None:
    """Keep the form open with the reason under its first field."""
    if block is None:
        await ack()
        return
    await ack(response_action="errors", errors={block: reason or NOT_RECORDED})
