"""The pinned card's buttons: Post update, Change severity, Take a role and Resolve.

Each does what its `/incident` command does, through the same use case, so it is refused
with the same words. The two that need text open a modal (`handlers.card_forms`).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.blocks.card_forms import follow_up_form_view, resolve_form_view, update_form_view
from bot.blocks.ids import ActionId
from bot.deps import Deps
from bot.services import changes, roles, severity, status
from bot.services.views import Incident
from handlers.listening import listener

FORM_EXPIRED = "The form could not open in time (Slack allows 3 seconds). Click again."


def _channel(body: dict[str, Any]) -> str:
    return str(
        (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or ""
    )


def _chosen(action: dict[str, Any]) -> str:
    return str((action.get("selected_option") or {}).get("value") or "")


async def _open(
    deps: Deps, body: dict[str, Any], view: dict[str, Any], respond: AsyncRespond
) -> None:
    """Open a card form with the click's trigger_id (single-use, valid for 3 s)."""
    try:
        await deps.slack.client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as error:
        if error.response.get("error") != "expired_trigger_id":
            raise
        await respond(text=FORM_EXPIRED, response_type="ephemeral", replace_original=False)


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind the card's four controls."""
    _register_forms(app, deps)
    _register_selects(app, deps)


async def _incident_of(deps: Deps, body: dict[str, Any], subcommand: str) -> Incident:
    return await changes.incident_for_channel(_channel(body), subcommand, db=deps.db)


def _register_forms(app: AsyncApp, deps: Deps) -> None:
    """Post update and Resolve: each opens its form."""

    @app.action(ActionId.CARD_POST_UPDATE.value)
    @listener(deps)
    async def on_post_update(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        incident = await _incident_of(deps, body, "update")
        audiences = [(a.id, a.name) for a in deps.pack.comms.audiences]
        form = update_form_view(
            incident_id=incident.id, audiences=audiences, template=deps.pack.comms.template
        )
        await _open(deps, body, form, respond)

    @app.action(ActionId.CARD_FOLLOW_UP.value)
    @listener(deps)
    async def on_follow_up(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        incident = await _incident_of(deps, body, "follow-up")
        await _open(deps, body, follow_up_form_view(incident_id=incident.id), respond)

    @app.action(ActionId.CARD_RESOLVE.value)
    @listener(deps)
    async def on_resolve(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        incident = await _incident_of(deps, body, "resolve")
        # Refused now, with the command's words, rather than after filling in the form.
        status.check_may_resolve(incident, actor=body["user"]["id"], settings=deps.settings)
        await _open(deps, body, resolve_form_view(incident_id=incident.id), respond)


def _register_selects(app: AsyncApp, deps: Deps) -> None:
    """Change severity and Take a role: the choice is the command's argument."""

    @app.action(ActionId.CARD_SEVERITY.value)
    @listener(deps)
    async def on_severity(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await severity.change_severity(
            await _incident_of(deps, body, "severity"),
            actor=body["user"]["id"],
            text=_chosen(action),
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            settings=deps.settings,
            replica=deps.replica,
        )

    @app.action(ActionId.CARD_TAKE_ROLE.value)
    @listener(deps)
    async def on_take_role(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        user = body["user"]["id"]
        await roles.assign_role(
            await _incident_of(deps, body, "role"),
            actor=user,
            role_text=_chosen(action),
            user=user,
            db=deps.db,
            slack=deps.slack,
            pack=deps.pack,
            clock=deps.clock,
            settings=deps.settings,
            replica=deps.replica,
        )
