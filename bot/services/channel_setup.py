"""Setting up an incident's channel, under a lease so that one replica at a time runs it;
each pass (`bot.services.setup_pass`) carries out the pure plan of `bot.domain.setup`.

Safe to run again: each pass does only what remains. The channel ID is saved the moment
Slack answers, so commands work in the channel at once. Work that a crashed earlier pass
may have done (card, announcement) is looked for before it is done again.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.logs import INCIDENT, about
from bot.replica import Replica
from bot.services import home
from bot.services.setup_pass import SetupPass
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import repo
from storage.db import Database
from storage.models import Incident

log = logging.getLogger(__name__)
SETUP_LEASE = timedelta(seconds=10)  # renewed while setup runs (see bot.server)


async def set_up_incident(
    incident_id: str,
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> Incident:
    """Create and fill the incident channel, or resume where an earlier pass stopped."""
    with about(INCIDENT, incident_id):  # every line this setup logs is about it
        async with replica.setup_locks[incident_id]:
            incident, holders = await _load(incident_id, db=db)
            if incident.setup_state == "ready":
                return incident
            if not _lease_is_ours(incident, clock=clock, replica=replica):
                if not await _lease_setup(incident_id, db=db, clock=clock, replica=replica):
                    return incident  # another replica is setting it up right now
                incident, holders = await _load(incident_id, db=db)
            replica.setting_up.add(incident_id)
            work = SetupPass(incident, holders, db, slack, pack, clock, settings, replica)
            try:
                return await work.run()
            except BaseException:
                with contextlib.suppress(Exception):  # let the next pass (anywhere) try at once
                    async with db.transaction() as session:
                        await repo.release_setup(
                            session=session, incident=incident_id, owner=replica.id
                        )
                raise
            finally:
                replica.setting_up.discard(incident_id)


async def set_up_or_explain(
    incident_id: str,
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> tuple[Incident | None, str]:
    """Set the channel up now; on failure, why (in words), since the incident is already
    declared and setup is retried in the background until it succeeds."""
    try:
        ready = await set_up_incident(
            incident_id,
            db=db,
            slack=slack,
            pack=pack,
            clock=clock,
            settings=settings,
            replica=replica,
        )
    except Exception as error:  # noqa: BLE001 - retried by housekeeping; the caller tells
        log.warning("setup of %s failed for now: %r", incident_id, error)
        if isinstance(error, SlackApiError):
            return None, f"Slack answered {error.response.get('error', 'an error')}"
        return None, f"{type(error).__name__}"
    home.refresh_homes_quietly(db=db, slack=slack, pack=pack, clock=clock, replica=replica)
    return ready, ""


def setup_delayed_text(incident_id: str, reason: str) -> str:
    """What a declarer hears when the incident is recorded but its channel is not ready."""
    return (
        f":warning: *{incident_id}* is declared, but its channel is not ready yet ({reason}). "
        "I keep trying in the background; it appears as soon as it can."
    )


async def finish_pending_setups(
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> int:
    """Resume every incident whose setup did not finish; returns how many are now ready."""
    async with db.reader() as session:
        pending = await repo.list_unfinished_setup(session=session)
    ready = 0
    for incident in pending:
        try:
            finished = await set_up_incident(
                incident.id,
                db=db,
                slack=slack,
                pack=pack,
                clock=clock,
                settings=settings,
                replica=replica,
            )
            ready += finished.setup_state == "ready"
        except Exception as error:  # noqa: BLE001 - Slack may still be down; try again later
            log.warning("setup of %s still pending: %r", incident.id, error)
    return ready


async def renew_setup_leases(*, db: Database, clock: Clock, replica: Replica) -> None:
    """Keep the setups this process is running from being taken over by another replica."""
    if replica.setting_up:
        async with db.transaction() as session:
            await repo.renew_setups(
                session=session,
                incidents=sorted(replica.setting_up),
                owner=replica.id,
                until=clock() + SETUP_LEASE,
            )


def _lease_is_ours(incident: Incident, *, clock: Clock, replica: Replica) -> bool:
    """This process holds the setup lease (taken with the declaration), and it still runs."""
    until = incident.setup_lease_until
    return incident.setup_owner == replica.id and until is not None and until > clock()


async def _lease_setup(incident_id: str, *, db: Database, clock: Clock, replica: Replica) -> bool:
    now = clock()
    async with db.transaction() as session:
        return await repo.take_setup(
            session=session,
            incident=incident_id,
            owner=replica.id,
            now=now,
            until=now + SETUP_LEASE,
        )


async def _load(incident_id: str, *, db: Database) -> tuple[Incident, dict[str, list[str]]]:
    async with db.reader() as session:
        incident = await repo.get_incident(session=session, incident=incident_id)
        holders = await repo.role_holders(session=session, incident=incident_id)
    if incident is None:
        raise LookupError(incident_id)
    return incident, holders
