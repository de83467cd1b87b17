"""Follow-ups: `/incident follow-up`, `/incident follow-ups`, and the Done/Reopen buttons."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.blocks.follow_ups import follow_up_list_blocks, follow_up_list_text
from bot.blocks.ids import ActionId
from bot.deps import Deps
from bot.domain.errors import BadCommand
from bot.domain.follow_ups import parse_follow_up
from bot.services import changes, follow_ups, home
from bot.services.views import Incident
from handlers.listening import listener

BUTTONS = re.compile(f"^({ActionId.FOLLOW_UP_DONE.value}|{ActionId.FOLLOW_UP_REOPEN.value})$")


async def follow_up_command(
    deps: Deps, incident: Incident, user: str, rest: str, respond: AsyncRespond
) -> None:
    """`/incident follow-up <text> [@owner] [due <date>]`."""
    args = parse_follow_up(rest, author=user, now=deps.clock(), tz=deps.settings.tz)
    await follow_ups.add_follow_up(
        incident,
        actor=user,
        args=args,
        db=deps.db,
        slack=deps.slack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
    )
    refresh_homes(deps)


def refresh_homes(deps: Deps) -> None:
    """Follow-ups are on their owners' App Home: republish the Homes being looked at."""
    home.refresh_homes_quietly(
        db=deps.db, slack=deps.slack, pack=deps.pack, clock=deps.clock, replica=deps.replica
    )


async def follow_ups_command(
    deps: Deps, incident: Incident, user: str, rest: str, respond: AsyncRespond
) -> None:
    """`/incident follow-ups`: the list, privately, each with its button."""
    items = await follow_ups.list_follow_ups(incident, db=deps.db)
    await respond(
        text=follow_up_list_text(incident.id, items),
        blocks=follow_up_list_blocks(incident.id, items),
    )


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind the **Done** and **Reopen** buttons."""

    @app.action(BUTTONS)
    @listener(deps)
    async def on_follow_up(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        value = str(action.get("value", ""))
        if not value.isdigit():
            raise BadCommand("That button does not name a follow-up.")
        channel = str((body.get("channel") or {}).get("id", ""))
        incident = await changes.incident_for_channel(channel, "follow-ups", db=deps.db)
        change = (
            follow_ups.mark_done
            if action.get("action_id") == ActionId.FOLLOW_UP_DONE
            else follow_ups.reopen
        )
        await change(
            incident,
            int(value),
            actor=body["user"]["id"],
            db=deps.db,
            slack=deps.slack,
            clock=deps.clock,
        )
        refresh_homes(deps)
        if str(action.get("block_id", "")).startswith("follow_up_list|"):
            items = await follow_ups.list_follow_ups(incident, db=deps.db)
            await respond(
                replace_original=True,
                text=follow_up_list_text(incident.id, items),
                blocks=follow_up_list_blocks(incident.id, items),
            )
