"""Slack deliveries: kept before they are acknowledged, run once (repeats are dropped here),
and replayed when a crash stopped them.

A global Bolt middleware runs before any listener (and before Bolt's automatic ack of
events): it commits the delivery to the inbox, so the ack that follows promises only what
is durable. A delivery seen before (Slack's retry, a double click) is acknowledged and
dropped. When the database cannot take it in time the ack itself says so: a slash
command's ack carries the message, a click gets it through its response_url, and an
event is refused so that Slack delivers it again. Modal submissions are admitted by their
listener once the form is valid (`admit_with_effect`), so a corrected form can be resent.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.clock import Clock
from bot.delivery_keys import delivery_key
from bot.deps import Deps
from bot.intake import HANDLING, Delivery, NotRecorded
from bot.slack_gateway import SlackGateway

log = logging.getLogger(__name__)
DELIVERY = "incident_bot_delivery"
REPLAY = "incident_bot_replay"
NOT_RECORDED = (
    ":warning: Nothing was recorded: the incident database did not answer in time. "
    "Please try again in a moment."
)
GAVE_UP = (
    ":warning: I could not finish this request after several tries. Check "
    "`/incident timeline` for what was recorded, then try again."
)


def delivery_kind(body: dict[str, Any]) -> str:
    """command, action or event (modal submissions are admitted by their listener); a
    shortcut is an action (told through its response_url when it cannot be kept)."""
    if "command" in body:
        return "command"
    actions = ("block_actions", "message_action", "shortcut")
    return "action" if body.get("type") in actions else "event"


def kept(body: dict[str, Any]) -> dict[str, Any]:
    """What the inbox keeps of a delivery: everything a replay needs, but not the legacy
    verification token, which nothing checks and nothing should store."""
    return {key: value for key, value in body.items() if key != "token"}


def register(app: AsyncApp, deps: Deps) -> None:
    """Install the intake as the first custom middleware."""

    @app.middleware
    async def keep_once_before_ack(
        body: dict[str, Any], context: AsyncBoltContext, response: BoltResponse, next: Any
    ) -> BoltResponse:
        replayed = context.get(REPLAY)
        if replayed:
            context[DELIVERY] = Delivery(replayed)
            await next()
            return response
        key = delivery_key(body)
        if key is None:  # modal submissions: admitted by their listener once valid
            await next()
            return response
        try:
            new = await deps.intake.admit(key=key, kind=delivery_kind(body), payload=kept(body))
        except NotRecorded as error:
            log.warning("not recorded, told the sender: %s (%s)", key, error)
            return _not_recorded(deps, body)
        if not new:
            log.info("ignored a repeated delivery %s", key)
            return BoltResponse(status=200, body="")
        context[DELIVERY] = Delivery(key)
        await next()
        return response


def admit_with_effect(
    clock: Clock, context: AsyncBoltContext, key: str, body: dict[str, Any]
) -> None:
    """Admit a valid modal submission in the same transaction as its effect.

    The listener's unit of work then writes the inbox row with the declaration: both are
    kept or neither is, and a second submission of the same form raises AlreadyHandled.
    """
    delivery = Delivery.with_effect(key, "view", kept(body), clock())
    context[DELIVERY] = delivery
    HANDLING.set(delivery)


def _not_recorded(deps: Deps, body: dict[str, Any]) -> BoltResponse:
    deps.metrics.refused("not_recorded")
    kind = delivery_kind(body)
    if kind == "command":
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": NOT_RECORDED}),
            headers={"content-type": "application/json"},
        )
    if kind == "event":
        # No person to tell: refuse it, and Slack delivers it again (HTTP and Socket Mode).
        return BoltResponse(status=503, body="")
    # Told after the ack (a response_url accepts posts for 30 minutes), not before it.
    telling = tell_through_response_url(deps.slack, body, NOT_RECORDED)
    deps.lifecycle.spawn(telling, name="tell-not-recorded")
    return BoltResponse(status=200, body="")


async def tell_through_response_url(slack: SlackGateway, body: dict[str, Any], text: str) -> None:
    """Best effort: an ephemeral note through the delivery's response_url, if it has one."""
    url = body.get("response_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return
    message = {"response_type": "ephemeral", "replace_original": False, "text": text}
    try:
        session = slack.client.session
        if session is None:
            async with aiohttp.ClientSession() as own:
                await own.post(url, json=message, timeout=aiohttp.ClientTimeout(total=5))
        else:
            await session.post(url, json=message, timeout=aiohttp.ClientTimeout(total=5))
    except Exception as error:  # noqa: BLE001 - telling is best effort
        log.warning("could not tell the sender through response_url: %r", error)


async def replay(app: AsyncApp, key: str, payload: dict[str, Any]) -> None:
    """Run a stalled delivery again through the same listeners, with no ack to send."""
    request = AsyncBoltRequest(body=payload, mode="socket_mode", context={REPLAY: key})
    await app.async_dispatch(request)
