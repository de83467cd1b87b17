"""Keeping Slack in step with the database: topic, pinned card, announcement, change lines.

Every change bumps the incident's `revision` in its own commit. A redraw that Slack fully
accepts records that revision as shown; one that fails leaves the incident behind, and
`catch_up_displays` (housekeeping) redraws it until Slack agrees with the database.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError

from bot.blocks.card import (
    announcement_blocks,
    incident_card_blocks,
    incident_card_text,
    topic_text,
)
from bot.domain.errors import NotShown
from bot.runtime import Runtime
from bot.services import channels, outbox
from bot.services.views import load_view
from storage import repo
from storage.models import Incident, OutboxPost

log = logging.getLogger(__name__)


def _reason(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "error"))
    return type(error).__name__


async def refresh_display(
    rt: Runtime, incident_id: str, *, invite: frozenset[str] = frozenset()
) -> list[str]:
    """Redraw the topic, card and announcement from the database; returns what failed.

    `invite` names people who must be in the channel now (a new commander or role holder).
    """
    async with rt.display_locks[incident_id]:
        incident, view = await load_view(rt, incident_id)
        if not incident.channel_id:
            return []  # setup has not created the channel yet; it renders from fresh state
        calls = {
            "channel topic": rt.client.conversations_setTopic(
                channel=incident.channel_id, topic=topic_text(view)
            )
        }
        if invite:
            calls["invitation"] = channels.invite_members(rt, incident.channel_id, set(invite))
        if incident.card_ts:
            calls["pinned card"] = rt.client.chat_update(
                channel=incident.channel_id,
                ts=incident.card_ts,
                text=incident_card_text(view),
                blocks=incident_card_blocks(view),
            )
        if incident.announcement_ts and incident.announcement_channel:
            calls["announcement"] = rt.client.chat_update(
                channel=incident.announcement_channel,
                ts=incident.announcement_ts,
                text=incident_card_text(view),
                blocks=announcement_blocks(view),
            )
        results = await asyncio.gather(*calls.values(), return_exceptions=True)
        failed = []
        for name, result in zip(calls, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("could not refresh the %s of %s: %r", name, incident_id, result)
                failed.append(f"{name} ({_reason(result)})")
        if not failed and incident.setup_state == "ready":
            async with rt.db.transaction() as session:
                await repo.mark_shown(
                    session=session, incident=incident_id, revision=incident.revision
                )
        return failed


async def show_change(
    rt: Runtime,
    incident: Incident,
    owed: list[OutboxPost],
    saved: str,
    *,
    invite: frozenset[str] = frozenset(),
) -> None:
    """After a committed change: redraw, post what it owes, and say so if Slack lagged.

    `saved` says in words what was recorded, for the user to hear when Slack did not
    take all of it (the redraw is retried until it does; owed posts are kept until posted).
    """
    failed = await refresh_display(rt, incident.id, invite=invite)
    await outbox.deliver(rt, owed)
    if failed:
        raise NotShown(
            f":white_check_mark: Saved: {saved}. :warning: Slack did not accept the "
            f"{', '.join(failed)} yet; I keep retrying until Slack shows it."
        )


async def catch_up_displays(rt: Runtime) -> int:
    """Redraw incidents whose card or topic fell behind the database; returns how many."""
    async with rt.db.reader() as session:
        behind = await repo.list_out_of_date(session=session)
    caught_up = 0
    for incident in behind:
        async with rt.db.reader() as session:
            holders = await repo.role_holders(session=session, incident=incident.id)
        members = {incident.commander_id, *(u for users in holders.values() for u in users)}
        try:
            caught_up += not await refresh_display(rt, incident.id, invite=frozenset(members))
        except Exception as error:  # noqa: BLE001 - Slack may still be down; next pass
            log.warning("could not redraw %s: %r", incident.id, error)
    return caught_up
