"""Posts owed to Slack, kept with the change they report.

A use case that records a change and owes a message about it (an update, a note, a change
line, a reminder) adds the message to the outbox in the same unit of work, then delivers
it right after the commit. If the process dies in between, or Slack fails, the post is
still owed: once its lease runs out any replica delivers it, first looking in the channel
for a copy that did get through (every post carries its outbox ID in its metadata), so it
appears exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.replica import Replica
from bot.services import posts
from bot.slack_gateway import SlackGateway
from storage import outbox, repo
from storage.db import Database
from storage.models import Incident, OutboxPost

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=15)
MAX_ATTEMPTS = 5
# A post for an incident whose channel is not set up yet (its setup waits out a rate limit,
# or Slack is down) stays owed, without using up attempts, for this long.
CHANNEL_PATIENCE = timedelta(hours=1)


class NoChannelYet(Exception):
    """The post's incident has no channel yet: it stays owed for a later pass."""


# An owed thread reply under an announcement not posted yet: looked up when delivered.
ANNOUNCEMENT_THREAD = "announcement"

# The channel is gone for good: give the post up and tell whoever is waiting.
CHANNEL_GONE = frozenset({"channel_not_found", "is_archived", "not_in_channel"})


def owe(
    session: AsyncSession,
    incident: Incident,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    *,
    clock: Clock,
) -> OutboxPost:
    """Add a post to the incident's channel to the caller's unit of work."""
    now = clock()
    return outbox.add(
        session=session,
        incident=incident.id,
        channel=incident.channel_id,  # None before setup: looked up when it is delivered
        text=text,
        blocks=blocks,
        now=now,
        lease_until=now + LEASE,
    )


def owe_in(
    session: AsyncSession, incident: Incident, channel: str, text: str, *, clock: Clock
) -> OutboxPost:
    """Add a post to another channel (by ID) about the incident to the caller's unit of work."""
    now = clock()
    return outbox.add(
        session=session,
        incident=incident.id,
        channel=channel,
        text=text,
        blocks=None,
        now=now,
        lease_until=now + LEASE,
    )


def owe_in_announcement_thread(
    session: AsyncSession, incident: Incident, text: str, *, announced: bool, clock: Clock
) -> OutboxPost | None:
    """Add a reply under the incident's announcement in INCIDENTS_CHANNEL to the caller's
    unit of work; None at a severity the pack does not announce (`announced` false) and for
    a private incident (its updates stay in its channel)."""
    if not announced or incident.private:
        return None
    now = clock()
    known = incident.announcement_ts is not None
    return outbox.add(
        session=session,
        incident=incident.id,
        channel=incident.announcement_channel if known else None,
        thread_ts=incident.announcement_ts if known else ANNOUNCEMENT_THREAD,
        text=text,
        blocks=None,
        now=now,
        lease_until=now + LEASE,
    )


def owe_elsewhere(
    session: AsyncSession,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    *,
    clock: Clock,
) -> OutboxPost:
    """Add a post to a channel (ID, or name) that belongs to no incident, e.g. a question
    in INCIDENTS_CHANNEL, to the caller's unit of work."""
    now = clock()
    return outbox.add(
        session=session,
        incident=None,
        channel=channel,
        text=text,
        blocks=blocks,
        now=now,
        lease_until=now + LEASE,
    )


async def record_and_tell(
    tries: Sequence[tuple[Any, Any]],
    record: Callable[[AsyncSession, Any, Any], Awaitable[str]],
    incidents: Mapping[str, Incident],
    *,
    db: Database,
    slack: SlackGateway,
    clock: Clock,
    replica: Replica,
) -> None:
    """Record each (item, outcome) of a pass over an outside service (pager, Statuspage) in
    one commit, owing what `record` says to tell in the item's incident channel; then post
    those notices (a failure leaves them owed for the outbox's own pass)."""
    owed: dict[str, list[OutboxPost]] = {}
    async with db.transaction() as session:
        for item, outcome in tries:
            text = await record(session, item, outcome)
            incident = incidents.get(item.incident_id)
            if text and incident is not None:
                owed.setdefault(incident.id, []).append(owe(session, incident, text, clock=clock))
    try:
        await deliver_groups(list(owed.values()), db=db, slack=slack, replica=replica)
    except Exception as error:  # noqa: BLE001 - still owed: the outbox's own pass posts them
        log.warning("could not post notices of outside calls: %r", error)


async def deliver(
    owed: Sequence[OutboxPost],
    *,
    looking: bool = False,
    db: Database,
    slack: SlackGateway,
    replica: Replica,
) -> None:
    """Post each message once, in order. A channel that is gone is raised (after the rest).

    `looking` (a post taken over from a dead process) searches the channel first.
    """
    gone = await deliver_groups([owed], looking=looking, db=db, slack=slack, replica=replica)
    if gone:
        raise gone[0]


async def deliver_groups(
    groups: Sequence[Sequence[OutboxPost]],
    *,
    looking: bool = False,
    db: Database,
    slack: SlackGateway,
    replica: Replica,
) -> list[SlackApiError]:
    """Deliver several incidents' posts side by side (each group in order), then record them
    all in one transaction; returns the errors of channels that are gone."""
    settled: dict[int, str | None] = {}
    results = await asyncio.gather(
        *(
            _deliver_in_order(group, settled, looking=looking, db=db, slack=slack, replica=replica)
            for group in groups
        )
    )
    if settled:
        async with db.transaction() as session:
            await outbox.mark_posted(session=session, posts=settled)
    return [error for error in results if error is not None]


async def _deliver_in_order(
    owed: Sequence[OutboxPost],
    settled: dict[int, str | None],
    *,
    looking: bool,
    db: Database,
    slack: SlackGateway,
    replica: Replica,
) -> SlackApiError | None:
    gone: SlackApiError | None = None
    for post in owed:
        assert post.id is not None
        replica.posting.add(post.id)
        try:
            settled[post.id] = await _deliver_one(post, looking=looking, db=db, slack=slack)
        except NoChannelYet:
            log.info("post %s waits for its incident's channel", post.id)
        except SlackApiError as error:
            if error.response.get("error") in CHANNEL_GONE:
                settled[post.id] = None
                if post.thread_ts is None:  # a reply elsewhere does not fail the change
                    gone = gone or error
                else:
                    log.warning("thread reply %s given up: %s", post.id, error)
            else:
                log.warning("post %s owed, Slack refused it for now: %s", post.id, error)
        except Exception as error:  # noqa: BLE001 - still owed: a later pass posts it
            log.warning("post %s owed, could not post it now: %r", post.id, error)
        finally:
            replica.posting.discard(post.id)
    return gone


async def _deliver_one(
    post: OutboxPost, *, looking: bool, db: Database, slack: SlackGateway
) -> str | None:
    """The ts of the post in Slack; None when there is nowhere to post it (given up)."""
    channel, thread_ts = await _where(post, db=db)
    if channel is None:
        if post.incident_id is not None and not looking:
            raise NoChannelYet(post.incident_id)  # fresh: the take-over pass waits for it
        log.info("post %s dropped: its incident has no channel", post.id)
        return None
    _, ts = await posts.post_once(
        slack.client,
        channel=channel,
        incident_id=post.incident_id or "",
        kind=f"post:{post.id}",
        text=post.text,
        blocks=post.blocks,
        look_first=looking,
        since=post.created_at.timestamp() - 60,
        **({"thread_ts": thread_ts} if thread_ts else {}),
    )
    return ts


async def _where(post: OutboxPost, *, db: Database) -> tuple[str | None, str | None]:
    """The channel (and thread) a post goes to; the channel is None when not there yet."""
    if post.thread_ts == ANNOUNCEMENT_THREAD:
        incident = await _incident(post.incident_id, db=db)
        if incident is None or incident.announcement_ts is None:
            return None, None
        return incident.announcement_channel, incident.announcement_ts
    return post.channel or await _incident_channel(post.incident_id, db=db), post.thread_ts


async def deliver_stalled(
    *, db: Database, slack: SlackGateway, clock: Clock, replica: Replica
) -> int:
    """Deliver posts whose poster died (their lease ran out); returns how many were taken."""
    now = clock()
    async with db.reader() as session:
        stalled = await outbox.stalled(session=session, now=now)
    taken: dict[str | None, list[OutboxPost]] = {}
    for post in stalled:
        if post.id in replica.posting:
            continue
        if await _waits_for_channel(post, now, db=db):
            continue  # not taken: its incident's setup will make the channel
        async with db.transaction() as session:
            won = await outbox.take_over(
                session=session, post=post.id or 0, expected=post.lease_until, until=now + LEASE
            )
        if not won:
            continue
        if post.attempts >= MAX_ATTEMPTS:
            log.error("giving up on post %s after %d attempts", post.id, post.attempts)
            async with db.transaction() as session:
                await outbox.mark_posted(session=session, posts={post.id or 0: None})
            continue
        taken.setdefault(post.incident_id, []).append(post)
    for gone in await deliver_groups(
        list(taken.values()), looking=True, db=db, slack=slack, replica=replica
    ):
        log.warning("a channel is gone; its owed posts were given up: %s", gone)
    return sum(len(owed) for owed in taken.values())


async def renew_leases(*, db: Database, clock: Clock, replica: Replica) -> None:
    """Keep the posts this process is delivering from being taken over."""
    if replica.posting:
        async with db.transaction() as session:
            await outbox.renew(
                session=session, posts=sorted(replica.posting), until=clock() + LEASE
            )


async def _waits_for_channel(post: OutboxPost, now: datetime, *, db: Database) -> bool:
    """An incident's post whose channel is not there yet, and not for too long."""
    if post.channel is not None or post.incident_id is None:
        return False
    if now - post.created_at >= CHANNEL_PATIENCE:
        return False
    channel, _ = await _where(post, db=db)
    return channel is None


async def _incident(incident_id: str | None, *, db: Database) -> Incident | None:
    if incident_id is None:
        return None
    async with db.reader() as session:
        return await repo.get_incident(session=session, incident=incident_id)


async def _incident_channel(incident_id: str | None, *, db: Database) -> str | None:
    incident = await _incident(incident_id, db=db)
    return incident.channel_id if incident else None
