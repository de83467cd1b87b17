"""The card's Post update and Resolve forms, submitted.

A valid submission is admitted with its effect (`admit_with_effect`): the inbox row is
written in the use case's own commit. The form is answered once that commit is made, so
closing it means the update or resolution is kept; a refusal before it (the same words as
the command) stays in the form, under its field. Slack's part comes after the answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.blocks.card_forms import (
    UpdateForm,
    read_follow_up_form,
    read_resolve_form,
    read_update_form,
)
from bot.blocks.ids import BlockId, CallbackId
from bot.delivery_keys import view_key
from bot.deps import Deps
from bot.domain.errors import DomainError
from bot.domain.follow_ups import FollowUpArgs, local_today
from bot.domain.text import plain
from bot.intake import ADMIT_BUDGET, HANDLING, AlreadyHandled
from bot.services import changes, comms, follow_ups, home, records, status
from bot.services.views import Incident, wording_warning
from handlers.deliveries import NOT_RECORDED, admit_with_effect
from handlers.listening import listener

log = logging.getLogger(__name__)
T = TypeVar("T")
SLOW = (
    "The incident database is slow to answer. If it records this, the channel shows it "
    "shortly; submitting again is safe, it is never recorded twice."
)
GONE = "This form's incident is no longer known. Open the form again from the card."
COMMIT_POLL = 0.01  # seconds between looks at whether the use case has committed


async def answer_once_committed(
    ack: AsyncAck, work: Awaitable[T], *, field: BlockId
) -> asyncio.Future[T] | None:
    """Run the use case and answer the form: closed once its change is committed, kept open
    with the refusal under `field` if refused before that. Returns the work still to wait
    for (Slack's part), or None when there is nothing more to do."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ADMIT_BUDGET
    delivery = HANDLING.get()
    task = asyncio.ensure_future(work)
    while not task.done() and not (delivery and delivery.finished) and loop.time() < deadline:
        await asyncio.wait({task}, timeout=COMMIT_POLL)
    committed = delivery is not None and delivery.finished
    if task.done() and not committed and task.exception() is not None:
        error = task.exception()
        if isinstance(error, AlreadyHandled):
            await ack()  # the same form submitted twice is recorded once
        elif isinstance(error, DomainError):
            await ack(response_action="errors", errors={field: plain(str(error))})
        else:
            log.warning("could not record a card form: %r", error)
            await ack(response_action="errors", errors={field: NOT_RECORDED})
        return None
    if committed or task.done():
        await ack()
    else:
        await ack(response_action="errors", errors={field: SLOW})
    return task


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind the two forms' submissions."""

    @app.view(CallbackId.CARD_UPDATE.value)
    @listener(deps, ack_first=False)
    async def on_update(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await _submit_update(deps, ack, body, view, context)

    @app.view(CallbackId.CARD_RESOLVE.value)
    @listener(deps, ack_first=False)
    async def on_resolve(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await _submit_resolution(deps, ack, body, view, context)

    @app.view(CallbackId.CARD_FOLLOW_UP.value)
    @listener(deps, ack_first=False)
    async def on_follow_up(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await _submit_follow_up(deps, ack, body, view, context)


async def _submit_update(
    deps: Deps, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Post the update as `/incident update` would; a held one asks Post anyway / Cancel."""
    values = (view.get("state") or {}).get("values") or {}
    form = read_update_form(values, view.get("private_metadata") or "")
    problem = _update_problem(form, deps)
    incident = None if problem else await changes.incident_by_id(form.incident_id, db=deps.db)
    if incident is None:
        await ack(response_action="errors", errors=problem or {BlockId.UPDATE_TEXT: GONE})
        return
    user = body["user"]["id"]
    admit_with_effect(deps.clock, context, view_key(view), body)
    rest = await answer_once_committed(
        ack, _post(deps, incident, user, form), field=BlockId.UPDATE_TEXT
    )
    draft = await rest if rest is not None else None
    if draft is not None and incident.channel_id:  # held for its wording
        warning = wording_warning(draft, deps.pack)
        await deps.slack.client.chat_postEphemeral(
            channel=incident.channel_id, user=user, text=warning["text"], blocks=warning["blocks"]
        )


async def _submit_resolution(
    deps: Deps, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Resolve as `/incident resolve` would, with the three fields kept apart."""
    values = (view.get("state") or {}).get("values") or {}
    form = read_resolve_form(values, view.get("private_metadata") or "")
    problem: dict[str, str] = {BlockId.RESOLUTION: "Say what fixed it."} if not form.summary else {}
    incident = None if problem else await changes.incident_by_id(form.incident_id, db=deps.db)
    if incident is None:
        await ack(response_action="errors", errors=problem or {BlockId.RESOLUTION: GONE})
        return
    admit_with_effect(deps.clock, context, view_key(view), body)
    resolving = status.resolve(
        incident,
        actor=body["user"]["id"],
        summary=form.summary,
        root_cause=form.root_cause,
        prevention=form.prevention,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
        pagers=deps.pagers,
    )
    rest = await answer_once_committed(ack, resolving, field=BlockId.RESOLUTION)
    if rest is not None:
        await rest


async def _submit_follow_up(
    deps: Deps, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Add the follow-up as `/incident follow-up` would (owner: whoever submits, if none)."""
    values = (view.get("state") or {}).get("values") or {}
    form = read_follow_up_form(values, view.get("private_metadata") or "")
    today = local_today(deps.clock(), deps.settings.tz)
    problem: dict[str, str] = {}
    if not form.text:
        problem = {BlockId.FOLLOW_UP_TEXT: "Say what needs doing."}
    elif form.due is not None and form.due < today:
        problem = {BlockId.FOLLOW_UP_DUE: "Pick today or a later day."}
    incident = None if problem else await changes.incident_by_id(form.incident_id, db=deps.db)
    if incident is None:
        await ack(response_action="errors", errors=problem or {BlockId.FOLLOW_UP_TEXT: GONE})
        return
    user = body["user"]["id"]
    admit_with_effect(deps.clock, context, view_key(view), body)
    adding = follow_ups.add_follow_up(
        incident,
        actor=user,
        args=FollowUpArgs(text=form.text, owner=form.owner or user, due=form.due),
        db=deps.db,
        slack=deps.slack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
    )
    rest = await answer_once_committed(ack, adding, field=BlockId.FOLLOW_UP_TEXT)
    if rest is not None:
        await rest
        home.refresh_homes_quietly(
            db=deps.db, slack=deps.slack, pack=deps.pack, clock=deps.clock, replica=deps.replica
        )


def _update_problem(form: UpdateForm, deps: Deps) -> dict[str, str]:
    """Field errors of an update form; empty when it can be posted."""
    if not form.text:
        return {BlockId.UPDATE_TEXT: "Write the update."}
    known = {a.id for a in deps.pack.comms.audiences}
    if form.audience is not None and form.audience not in known:
        return {BlockId.UPDATE_AUDIENCE: "Choose one of the listed audiences."}
    return {}


async def _post(deps: Deps, incident: Incident, user: str, form: UpdateForm) -> Any:
    """What `/incident update [--customer [--to <audience>]]` does; a held draft or None."""
    if not form.customer:
        await records.post_update(
            incident,
            actor=user,
            text=form.text,
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            replica=deps.replica,
        )
        return None
    return await comms.submit_customer_update(
        incident,
        actor=user,
        text=form.text,
        audience=form.audience,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        replica=deps.replica,
    )
