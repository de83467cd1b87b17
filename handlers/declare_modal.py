"""The declare modal's submission: field errors in the ack, then declare and set up."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.blocks.declare import DeclareForm, read_declare_form
from bot.blocks.ids import NO_PLAYBOOK, SUGGEST, ActionId, BlockId, CallbackId
from bot.delivery_keys import view_key
from bot.deps import Deps
from bot.domain.errors import DomainError
from bot.domain.evidence import declared_from
from bot.domain.text import plain
from bot.intake import ADMIT_BUDGET, AlreadyHandled
from bot.services import evidence, people
from bot.services.channel_setup import set_up_or_explain, setup_delayed_text
from bot.services.declare import Along, Declaration, PlaybookChoice, declare_incident
from bot.services.views import Incident, declare_form
from handlers.deliveries import NOT_RECORDED, admit_with_effect
from handlers.listening import listener

log = logging.getLogger(__name__)
SLOW = (
    "The incident database is slow to answer. If it records this declaration, the channel "
    "appears shortly; submitting again is safe, it is never declared twice."
)


def form_errors(form: DeclareForm, deps: Deps) -> dict[str, str]:
    """Field errors to show in the modal, keyed by block ID; empty when the form is valid."""
    errors: dict[str, str] = {}
    if not form.title:
        errors[BlockId.TITLE] = "Give the incident a title."
    if not form.severity or deps.pack.severity(form.severity) is None:
        errors[BlockId.SEVERITY] = "Choose one of the listed severities."
    if form.playbook not in (SUGGEST, NO_PLAYBOOK) and deps.pack.playbook(form.playbook) is None:
        errors[BlockId.PLAYBOOK] = "Choose one of the listed playbooks."
    if form.commander is not None and not str(form.commander).startswith(("U", "W")):
        errors[BlockId.COMMANDER] = "Choose a person as commander."
    return errors


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind the declare modal's submission."""

    register_title_suggestions(app, deps)

    @app.view(CallbackId.DECLARE.value)
    @listener(deps, ack_first=False)
    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        # Slack gives up on the answer after 3 s: every wait below shares one budget.
        deadline = asyncio.get_running_loop().time() + ADMIT_BUDGET
        form = read_declare_form((view.get("state") or {}).get("values") or {})
        errors = form_errors(form, deps)
        user = body["user"]["id"]
        if not errors and form.commander and form.commander != user:
            errors.update(await _commander_problem(deps, form.commander, _left(deadline) / 2))
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        # Closing the modal tells the user it worked, so the declaration is committed
        # before the ack; the Slack work comes after it.
        admit_with_effect(deps.clock, context, view_key(view), body)
        source = declared_from(view.get("private_metadata") or "")
        along = None if source is None else evidence.record_source(source, actor=user)
        incident = await _declare_and_answer(
            ack, form, user, deadline=deadline, deps=deps, along=along
        )
        if incident is not None:
            await _set_up_and_confirm(incident, user=user, origin=_origin_channel(view), deps=deps)


async def _declare_and_answer(
    ack: AsyncAck,
    form: DeclareForm,
    user: str,
    *,
    deadline: float,
    deps: Deps,
    along: Along | None = None,
) -> Incident | None:
    """Record the declaration (with `along` in its commit), answering the modal by the
    deadline; the incident, or None when there is nothing more to do (a repeated
    submission, or nothing was recorded)."""
    declaring = asyncio.ensure_future(
        declare_incident(
            _declaration(form, user),
            db=deps.db,
            pack=deps.pack,
            clock=deps.clock,
            replica=deps.replica,
            calendar=deps.settings.calendar,
            along=along,
        )
    )
    try:
        incident = await asyncio.wait_for(asyncio.shield(declaring), _left(deadline))
    except AlreadyHandled:
        await ack()
        return None  # the same form submitted twice declares once
    except TimeoutError:
        # Unknown yet whether it will commit: say so, and finish the setup if it does.
        await ack(response_action="errors", errors={BlockId.TITLE: SLOW})
        return await declaring
    except Exception as error:
        log.warning("could not record a declaration from the modal: %r", error)
        reason = str(error) if isinstance(error, DomainError) else NOT_RECORDED
        await ack(response_action="errors", errors={BlockId.TITLE: reason})
        return None
    await ack()
    return incident


async def _set_up_and_confirm(
    incident: Incident, *, user: str, origin: str | None, deps: Deps
) -> None:
    """Set up the incident's channel, then tell the declarer where it is (or why not yet)."""
    ready, problem = await set_up_or_explain(
        incident.id,
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
    )
    if ready is not None and not ready.channel_id:
        return
    text = (
        setup_delayed_text(incident.id, problem)
        if ready is None
        else f"Declared *{incident.id}*: <#{ready.channel_id}>."
    )
    try:
        if origin:
            await deps.slack.client.chat_postEphemeral(channel=origin, user=user, text=text)
        elif ready is None:
            await deps.slack.client.chat_postMessage(channel=user, text=text)  # a DM
    except Exception as error:  # noqa: BLE001 - the channel itself is the confirmation
        log.info("could not confirm %s to %s: %r", incident.id, user, error)


def _declaration(form: DeclareForm, user: str) -> Declaration:
    """The declaration the modal asks for (the form was checked by `form_errors`)."""
    special = {SUGGEST: PlaybookChoice.BEST, NO_PLAYBOOK: PlaybookChoice.NONE}
    return Declaration(
        title=form.title,
        severity=form.severity or "",
        declarer=user,
        commander=form.commander,
        description=form.description,
        playbook_id=None if form.playbook in special else form.playbook,
        choice=special.get(form.playbook, PlaybookChoice.NONE),
        private=form.private,
    )


def _left(deadline: float) -> float:
    return max(0.05, deadline - asyncio.get_running_loop().time())


async def _commander_problem(deps: Deps, commander: str, within: float) -> dict[str, str]:
    """A field error when the chosen commander is not an active person (checked quickly:
    Slack is waiting for this modal's answer)."""
    try:
        await asyncio.wait_for(
            people.require_person(commander, "the incident commander", slack=deps.slack), within
        )
    except DomainError as refusal:
        return {BlockId.COMMANDER: plain(str(refusal))}
    except TimeoutError:
        return {BlockId.COMMANDER: "Slack did not say in time who that is. Submit again."}
    return {}


def _origin_channel(view: dict[str, Any]) -> str | None:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    channel = metadata.get("channel_id") if isinstance(metadata, dict) else None
    return channel if isinstance(channel, str) and channel else None


def register_title_suggestions(app: AsyncApp, deps: Deps) -> None:
    """Re-render the declare modal with the playbook matching the title as it is typed."""

    @app.action(ActionId.TITLE.value)
    @listener(deps)
    async def on_title(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        view = body.get("view") or {}
        suggested = deps.pack.suggest_playbook(str(action.get("value") or ""))
        if not view.get("id") or suggested is None:
            return
        await deps.slack.client.views_update(
            view_id=view["id"],
            hash=view.get("hash"),
            view=declare_form(
                deps.pack,
                declarer=body["user"]["id"],
                private_metadata=view.get("private_metadata") or "",
                suggested=suggested.id,
            ),
        )
