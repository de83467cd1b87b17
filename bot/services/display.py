"""Keeping Slack in step with the database: topic, pinned card, announcement, change lines.

Every change bumps the incident's `revision` in its own commit. A redraw that Slack fully
accepts records that revision as shown; one that fails leaves the incident behind, and
`catch_up_displays` (housekeeping) redraws it until Slack agrees with the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks.card import (
    announcement_blocks,
    announcement_text,
    incident_card_blocks,
    incident_card_text,
    topic_text,
)
from bot.clock import Clock
from bot.domain.errors import NotShown
from bot.replica import Replica
from bot.services import channels, home, leasing, outbox
from bot.services.views import load_view
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import repo
from storage.db import Database
from storage.models import Incident, OutboxPost

log = logging.getLogger(__name__)


DRAW_LEASE = timedelta(seconds=30)
# Slack answers that no retry can fix: the redraw is given up on (and the user told so).
FOR_GOOD = frozenset(
    {"channel_not_found", "is_archived", "message_not_found", "cant_update_message"}
)


@dataclass(frozen=True)
class Failure:
    """One part of a redraw that Slack refused."""

    part: str
    reason: str

    @property
    def for_good(self) -> bool:
        """True when retrying cannot help (the channel or message is gone)."""
        return self.reason in FOR_GOOD

    def __str__(self) -> str:
        return f"{self.part} ({self.reason})"


def _reason(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "error"))
    return type(error).__name__


async def refresh_display(
    incident_id: str,
    *,
    invite: frozenset[str] = frozenset(),
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
) -> list[Failure]:
    """Redraw the topic, card and announcement from the database; returns what failed.

    `invite` names people who must be in the channel now (a new commander or role holder).
    One process draws an incident at a time (a lease); if another is drawing, it draws
    again after, from the newest state, so the last drawing shown is never a stale one.
    Quick changes coalesce: a caller that waited its turn while another drew the newest
    revision draws nothing (Slack's budget for chat.update and setTopic is small), so N
    changes in a row make at most two redraws, the newest state winning.
    """
    resource = f"display:{incident_id}"
    owed = replica.owed_invites[incident_id]
    owed.update(invite)
    async with replica.display_locks[incident_id]:
        drawn: int | None = None
        while True:
            async with db.reader() as session:
                latest = await repo.get_incident(session=session, incident=incident_id)
            invite = frozenset(owed)
            owed.clear()
            if latest is None:
                return []
            shown = latest.shown_revision >= latest.revision or latest.revision == drawn
            if shown and not invite:
                return []  # drawn already, by us or by whoever had the turn before us
            async with leasing.held(
                resource, DRAW_LEASE, db=db, clock=clock, replica=replica
            ) as ours:
                if not ours:
                    return []  # another replica is drawing; it redraws from our change after
                incident, failed = await _draw(incident_id, invite, db=db, slack=slack, pack=pack)
            if failed:
                return failed
            # A change committed meanwhile may have found the lease taken: draw it next turn.
            drawn = incident.revision


async def _draw(
    incident_id: str, invite: frozenset[str], *, db: Database, slack: SlackGateway, pack: Pack
) -> tuple[Incident, list[Failure]]:
    incident, view = await load_view(incident_id, db=db, pack=pack)
    if not incident.channel_id:
        return incident, []  # setup has not created the channel yet; it draws fresh state
    calls: dict[str, Coroutine[Any, Any, object]] = {
        "channel topic": slack.client.conversations_setTopic(
            channel=incident.channel_id, topic=topic_text(view)
        )
    }
    if invite:
        calls["invitation"] = channels.invite_members(incident.channel_id, set(invite), slack=slack)
    if incident.card_ts:
        calls["pinned card"] = slack.client.chat_update(
            channel=incident.channel_id,
            ts=incident.card_ts,
            text=incident_card_text(view),
            blocks=incident_card_blocks(view),
        )
    if incident.announcement_ts and incident.announcement_channel:
        calls["announcement"] = slack.client.chat_update(
            channel=incident.announcement_channel,
            ts=incident.announcement_ts,
            text=announcement_text(view),
            blocks=announcement_blocks(view),
        )
    results = await asyncio.gather(*calls.values(), return_exceptions=True)
    failed = [
        Failure(part, _reason(result))
        for part, result in zip(calls, results, strict=True)
        if isinstance(result, BaseException)
    ]
    for failure in failed:
        log.warning("could not redraw the %s of %s", failure, incident_id)
    if incident.setup_state == "ready" and all(f.for_good for f in failed):
        # Shown as far as Slack ever will: stop retrying what cannot succeed.
        async with db.transaction() as session:
            await repo.mark_shown(session=session, incident=incident_id, revision=incident.revision)
    return incident, failed


async def show_change(
    incident: Incident,
    owed: list[OutboxPost],
    saved: str,
    *,
    invite: frozenset[str] = frozenset(),
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
) -> None:
    """After a committed change: redraw, post what it owes, and say so if Slack lagged.

    `saved` says in words what was recorded, for the user to hear when Slack did not
    take all of it (the redraw is retried until it does; owed posts are kept until posted).
    """
    failed = await refresh_display(
        incident.id, invite=invite, db=db, slack=slack, pack=pack, clock=clock, replica=replica
    )
    await outbox.deliver(owed, db=db, slack=slack, replica=replica)
    home.refresh_homes_quietly(db=db, slack=slack, pack=pack, clock=clock, replica=replica)
    if failed:
        raise NotShown(not_shown_text(saved, failed))


def not_shown_text(saved: str, failed: list[Failure]) -> str:
    """What a user hears when the change is saved but Slack did not show all of it."""
    retried = [str(f) for f in failed if not f.for_good]
    lost = [str(f) for f in failed if f.for_good]
    text = f":white_check_mark: Saved: {saved}."
    if retried:
        text += f" :warning: Slack did not accept the {', '.join(retried)} yet; I keep "
        text += "retrying until Slack shows it."
    if lost:
        text += f" :warning: Slack can no longer show the {', '.join(lost)}."
    return text


async def catch_up_displays(
    *, db: Database, slack: SlackGateway, pack: Pack, clock: Clock, replica: Replica
) -> int:
    """Redraw incidents whose card or topic fell behind the database; returns how many."""
    async with db.reader() as session:
        behind = await repo.list_out_of_date(session=session)
    caught_up = 0
    for incident in behind:
        try:
            commander = frozenset({incident.commander_id})  # whoever else left, may stay out
            caught_up += not await refresh_display(
                incident.id,
                invite=commander,
                db=db,
                slack=slack,
                pack=pack,
                clock=clock,
                replica=replica,
            )
        except Exception as error:  # noqa: BLE001 - Slack may still be down; next pass
            log.warning("could not redraw %s: %r", incident.id, error)
    return caught_up


async def show_card_privately(
    channel: str, user: str, *, db: Database, slack: SlackGateway, pack: Pack
) -> None:
    """Show someone who joined an open incident's channel its card, privately."""
    async with db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel)
    if incident is None or incident.status == "resolved":
        return
    _, view = await load_view(incident.id, db=db, pack=pack)
    await slack.client.chat_postEphemeral(
        channel=channel, user=user, text=incident_card_text(view), blocks=incident_card_blocks(view)
    )
