"""The App Home tab: publish a user's Home, and republish it, coalesced, after changes.

Who has the Home open is this process's own record (`Replica.home_seen`: users seen in
`app_home_opened` within the last hour). A change schedules one republish per such user,
at most one per `Replica.home_debounce` seconds; changes meanwhile ride along with it, so
a busy incident does not spend Slack's budget. It is best effort: a Home that fails to
publish is published again on the next change or when the user opens it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import datetime, timedelta
from typing import Any

from bot.blocks.home import HomeFollowUp, HomeIncident, HomeView, home_view
from bot.clock import Clock
from bot.domain.timers import TimerKind
from bot.domain.visibility import may_see
from bot.replica import Replica
from bot.services.views import severity_name
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import home as home_store
from storage import repo
from storage.db import Database
from storage.models import Incident

log = logging.getLogger(__name__)

WATCHED_FOR = timedelta(hours=1)
RESOLVED_WITHIN = timedelta(days=7)
RESOLVED_SHOWN = 10
UPDATE_EVENTS = ("update_posted", "customer_update_posted")
REMINDERS = (TimerKind.INTERNAL_UPDATE.value, TimerKind.CUSTOMER_UPDATE.value)


async def load_home(user: str, *, db: Database, pack: Pack, clock: Clock) -> HomeView:
    """Everything `user`'s Home shows, read in one go."""
    now = clock()
    async with db.reader() as session:
        open_ = list(await repo.list_open(session=session))
        ids = [i.id for i in open_]
        last = await home_store.last_event_of_kinds(
            session=session, incidents=ids, kinds=UPDATE_EVENTS
        )
        due = await home_store.next_due_of_kinds(session=session, incidents=ids, kinds=REMINDERS)
        roles = await home_store.with_role_of(session=session, user=user)
        resolved = await home_store.resolved_since(
            session=session, since=now - RESOLVED_WITHIN, limit=RESOLVED_SHOWN
        )
        follow_ups = await home_store.open_follow_ups_of(session=session, owner=user)
        channels = await repo.get_incidents(
            session=session, ids=sorted({f.incident_id for f in follow_ups})
        )

    def shown(incident: Incident) -> bool:  # a private incident only to those it involves
        people = {incident.commander_id, incident.declared_by}
        return may_see(user, incident.private, people | ({user} if incident.id in roles else set()))

    open_ = [i for i in open_ if shown(i)]
    resolved = [i for i in resolved if shown(i)]
    return HomeView(
        user=user,
        open=tuple(_shown(i, pack, last=last.get(i.id), due=due.get(i.id)) for i in open_),
        mine=tuple(i.id for i in open_ if i.commander_id == user or i.id in roles),
        follow_ups=tuple(
            HomeFollowUp(
                text=f.text,
                incident_id=f.incident_id,
                channel_id=getattr(channels.get(f.incident_id), "channel_id", None),
                due_on=f.due_on,
            )
            for f in follow_ups
        ),
        resolved=tuple(_shown(i, pack) for i in resolved),
    )


def _shown(
    incident: Incident, pack: Pack, *, last: datetime | None = None, due: datetime | None = None
) -> HomeIncident:
    """An incident as the Home shows it, ranked by the pack (unknown severities last)."""
    try:
        rank = pack.rank(incident.severity)
    except KeyError:
        rank = len(pack.severities)
    return HomeIncident(
        id=incident.id,
        title=incident.title,
        severity_name=severity_name(pack, incident.severity),
        rank=rank,
        declared_at=incident.declared_at,
        commander=incident.commander_id,
        status=incident.status,
        channel_id=incident.channel_id,
        last_update=last,
        next_reminder=due,
        resolved_at=incident.resolved_at,
    )


async def publish_home(
    user: str, *, db: Database, slack: SlackGateway, pack: Pack, clock: Clock, replica: Replica
) -> None:
    """Publish `user`'s Home from the database now."""
    home = await load_home(user, db=db, pack=pack, clock=clock)
    replica.home_published[user] = asyncio.get_running_loop().time()
    await slack.client.views_publish(user_id=user, view=home_view(home, now=clock()))


async def home_opened(
    user: str, *, db: Database, slack: SlackGateway, pack: Pack, clock: Clock, replica: Replica
) -> None:
    """`user` opened the Home tab: remember it for an hour and publish it now."""
    replica.home_seen[user] = clock()
    await publish_home(user, db=db, slack=slack, pack=pack, clock=clock, replica=replica)


def refresh_soon(
    *, db: Database, slack: SlackGateway, pack: Pack, clock: Clock, replica: Replica
) -> int:
    """After a committed change: republish the Home of everyone who opened it in the last
    hour, each at most once per debounce window; returns how many were newly scheduled."""
    now = clock()
    for user, seen in list(replica.home_seen.items()):
        if now - seen > WATCHED_FOR:
            del replica.home_seen[user]
    scheduled = 0
    for user in replica.home_seen:
        if user in replica.home_pending:
            continue  # a republish is waiting; it reads the database when it runs
        task = asyncio.create_task(
            _republish(user, db=db, slack=slack, pack=pack, clock=clock, replica=replica),
            name=f"home:{user}",
        )
        replica.home_pending[user] = task
        task.add_done_callback(functools.partial(_forget, replica, user))
        scheduled += 1
    return scheduled


async def _republish(
    user: str, *, db: Database, slack: SlackGateway, pack: Pack, clock: Clock, replica: Replica
) -> None:
    """Wait out the debounce window since the last publish, then publish once."""
    try:
        last = replica.home_published.get(user)
        if last is not None:
            wait = last + replica.home_debounce - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)
        # From here on, a new change schedules another republish (this one may read too early).
        current = asyncio.current_task()
        if current is not None:
            _forget(replica, user, current)
        await publish_home(user, db=db, slack=slack, pack=pack, clock=clock, replica=replica)
    except Exception as error:  # noqa: BLE001 - best effort; the next change publishes again
        log.info("could not republish the Home of %s: %r", user, error)


def _forget(replica: Replica, user: str, done: asyncio.Task[Any]) -> None:
    """A republish ended (or was cancelled before it began): no longer waiting."""
    if replica.home_pending.get(user) is done:
        del replica.home_pending[user]


async def refresh_if_changed_elsewhere(
    *, db: Database, slack: SlackGateway, pack: Pack, clock: Clock, replica: Replica
) -> bool:
    """Republish the Homes looked at through this process when a change was recorded since
    the last look, whichever replica made it (every change adds a timeline event); returns
    whether it scheduled republishes. One cheap query, only while someone watches."""
    if not replica.home_seen:
        replica.home_event_mark = None
        return False
    async with db.reader() as session:
        newest = await home_store.newest_event_id(session=session)
    mark, replica.home_event_mark = replica.home_event_mark, newest
    if mark is None or newest <= mark:
        return False
    refresh_homes_quietly(db=db, slack=slack, pack=pack, clock=clock, replica=replica)
    return True


def refresh_homes_quietly(
    *, db: Database, slack: SlackGateway, pack: Pack, clock: Clock, replica: Replica
) -> None:
    """`refresh_soon` that never fails the change that called it."""
    try:
        refresh_soon(db=db, slack=slack, pack=pack, clock=clock, replica=replica)
    except Exception as error:  # noqa: BLE001 - the Home is best effort
        log.info("could not schedule Home republishes: %r", error)
