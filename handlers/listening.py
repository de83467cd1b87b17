"""How every listener runs: ack first, finish the delivery, report errors in one place.

Listeners are wrapped with `listener(deps)` rather than relying only on `@app.error`: when a
listener raises right after `ack()`, Bolt's runner can lose the ack and answer 404 (it resets
the ack response while its poll loop is still waiting). Catching inside the listener keeps
the ack intact; `@app.error` still covers anything raised before the listener runs.

The intake middleware (`handlers.deliveries`) has already committed the delivery before the
listener acks it. The wrapper marks the delivery handled when the listener ends, unless
a unit of work already did so together with its effect; a handler that died mid-way
leaves it pending, and it is replayed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.domain.errors import DomainError
from bot.domain.text import safe_mrkdwn
from bot.intake import HANDLING, AlreadyHandled, database_unavailable
from bot.slack_gateway import SlackGateway
from handlers.deliveries import DELIVERY, REPLAY

log = logging.getLogger(__name__)
UNEXPECTED = (
    ":warning: Something went wrong while doing that. Before you try again, check what was "
    "recorded: `/incident timeline` in the incident's channel, or `/incident list`."
)
KEPT_FOR_LATER = (
    ":hourglass_flowing_sand: The incident database is not answering right now. Your request "
    "is kept and will be carried out as soon as the database is back; the result shows here."
)
Listener = Callable[..., Awaitable[None]]
ACK_POLL_SECONDS = 0.011


async def tell_user(slack: SlackGateway, context: AsyncBoltContext, text: str) -> None:
    """Reply privately: through response_url, else an ephemeral, else a DM.

    Refusals may quote what the user typed, so the text is made safe (no group pings).
    """
    text = safe_mrkdwn(text)
    try:
        if context.respond is not None and context.response_url:
            await context.respond(text=text, response_type="ephemeral", replace_original=False)
        elif context.channel_id and context.user_id:
            await slack.client.chat_postEphemeral(
                channel=context.channel_id, user=context.user_id, text=text
            )
        elif context.user_id:
            await slack.client.chat_postMessage(channel=context.user_id, text=text)
    except Exception as error:  # noqa: BLE001 - telling the user is best effort
        log.warning("could not tell %s: %r", context.user_id, error)


SLACK_ERRORS = {
    "channel_not_found": "Slack can't find that channel (was it deleted?).",
    "is_archived": "The channel is archived; unarchive it to keep working there.",
    "not_in_channel": "The bot is not a member of that channel; invite it with `/invite`.",
    "ratelimited": "Slack is rate-limiting the bot right now.",
}


async def report_error(slack: SlackGateway, context: AsyncBoltContext, error: Exception) -> None:
    """Explain a domain error to the user; log anything else and say something went wrong."""
    if isinstance(error, DomainError):
        await tell_user(slack, context, str(error))
        return
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error", ""))
        if code in SLACK_ERRORS:
            log.warning("Slack refused a call: %s", code)
            await tell_user(
                slack,
                context,
                f":warning: {SLACK_ERRORS[code]} What was recorded is kept: "
                "`/incident timeline` in the incident's channel shows it.",
            )
            return
    log.error("unexpected error in a Slack listener", exc_info=error)
    await tell_user(slack, context, UNEXPECTED)


def listener(deps: Deps, *, ack_first: bool = True) -> Callable[[Listener], Listener]:
    """Wrap a listener that takes `ack`, `body` and `context`.

    The wrapper acks at once (unless `ack_first` is False, for modals that may answer with
    field errors), tracks the work for a graceful shutdown, reports errors to the user, and
    marks the delivery handled when the listener is done with it.
    """

    def decorate(handler: Listener) -> Listener:
        @functools.wraps(handler)
        async def guarded(**kwargs: Any) -> None:
            deps.lifecycle.track_current()
            context: AsyncBoltContext = kwargs["context"]
            HANDLING.set(context.get(DELIVERY))
            try:
                if ack_first:
                    await kwargs["ack"]()
                    if not context.get(REPLAY):
                        # Bolt notices an ack by polling every 10 ms. Yield that long before
                        # the work starts, so that in a burst every ack goes out before the
                        # work of the first ones takes the CPU (the ack is what is urgent).
                        await asyncio.sleep(ACK_POLL_SECONDS)
                await handler(**kwargs)
            except asyncio.CancelledError:
                # Shutdown cut the work short: leave the delivery for a replay after restart.
                delivery = HANDLING.get()
                if delivery is not None and not delivery.finished:
                    delivery.left_for_replay = True
                raise
            except AlreadyHandled:
                log.info("a delivery was handled elsewhere first; nothing more to do")
            except Exception as error:  # noqa: BLE001 - every failure is reported to the user
                deps.metrics.database_error("listener", error)
                if await _kept_for_later(deps, context, error):
                    return
                ack = kwargs.get("ack")
                if ack is not None and ack.response is None:
                    await ack()  # never leave Slack waiting for an answer
                await report_error(deps.slack, context, error)
            finally:
                await _finish(deps)

        return guarded

    return decorate


async def _kept_for_later(deps: Deps, context: AsyncBoltContext, error: Exception) -> bool:
    """The database failed before the work was done: say so, and let the delivery (already
    kept in the inbox) be replayed once the database answers again, on any replica."""
    delivery = HANDLING.get()
    if delivery is None or delivery.finished or delivery.record is not None:
        return False
    if not database_unavailable(error):
        return False
    log.warning(
        "database unavailable while handling %s; it will be replayed: %r", delivery.key, error
    )
    deps.intake.forget(delivery.key)  # stop renewing its lease, so a replay can take it over
    delivery.finished = True  # nothing more to do here
    await tell_user(deps.slack, context, KEPT_FOR_LATER)
    return True


async def _finish(deps: Deps) -> None:
    delivery = HANDLING.get()
    if delivery is None:
        return
    if delivery.finished or delivery.left_for_replay:
        # A delivery left for a replay: its lease is no longer renewed, so any replica
        # takes it over when the lease runs out.
        deps.intake.forget(delivery.key)
    else:
        await deps.intake.finish(delivery.key)
        delivery.finished = True


def register(app: AsyncApp, deps: Deps) -> None:
    """Install the global error handler for errors raised outside listeners."""

    @app.error
    async def on_error(error: Exception, context: AsyncBoltContext) -> BoltResponse | None:
        if isinstance(error, BoltUnhandledRequestError):
            # Nothing listens for it (an event or button the bot does not use): acknowledge
            # it, so Slack does not retry, and keep it from being replayed.
            delivery = context.get(DELIVERY)
            if delivery is not None:
                await deps.intake.finish(delivery.key)
            log.debug("no listener for %s", error.body.get("type"))
            return BoltResponse(status=200, body="")
        await report_error(deps.slack, context, error)
        return None
