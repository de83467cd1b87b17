"""Mirroring customer updates to Atlassian Statuspage, owed with the change, then sent.

A customer update to an audience with `statuspage: true` owes, in its own unit of work,
the creation of the incident on the Statuspage page (the first) or an update of it (the
next); resolving owes its resolve (`owe_resolve`). After the commit `send_due` sends what is
due, and the server's background pass calls it again every few seconds. An incident's calls
go out in order, each try leased; a failure is said once in the channel and retried with
the pagers' backoff, and never holds up the incident.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks import pages as texts
from bot.clock import Clock
from bot.domain import pager
from bot.pagers import PagerError
from bot.replica import Replica
from bot.services import outbox
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from bot.statuspage import Statuspage, statuspage_status
from playbooks.model import Pack
from storage import repo
from storage import statuspage as calls
from storage.db import Database
from storage.models import Incident, StatuspageCall

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)  # longer than a request may take (bot.pagers.TIMEOUT)
IMPACTS = ("critical", "major", "minor")  # by the severity's rank; lower ones: minor
RESOLVED_BODY = "This incident has been resolved."


def warn_if_unconfigured(pack: Pack, settings: Settings) -> bool:
    """At startup: a pack that mirrors an audience to Statuspage, in a deployment without
    STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY, is said once (the calls would only fail)."""
    mirrored = [a.id for a in pack.comms.audiences if a.statuspage]
    if not mirrored or (settings.statuspage_page_id and settings.statuspage_api_key):
        return False
    log.warning(
        "the pack mirrors audience(s) %s to Statuspage, but STATUSPAGE_PAGE_ID or "
        "STATUSPAGE_API_KEY is not set: those customer updates will not reach Statuspage",
        ", ".join(mirrored),
    )
    return True


async def owe_update(
    session: AsyncSession, incident: Incident, text: str, *, pack: Pack, now: datetime
) -> None:
    """Owe the Statuspage incident's creation (the first time: once per incident, even
    with replicas racing) or an update, in the caller's unit of work."""
    earlier = await calls.for_incident(session=session, incident=incident.id)
    status = statuspage_status(incident.status)
    if not any(call.action == "create" for call in earlier):
        try:
            impact: str | None = IMPACTS[min(pack.rank(incident.severity), len(IMPACTS) - 1)]
        except KeyError:
            impact = None
        if await calls.owe_create(
            session=session,
            incident=incident.id,
            status=status,
            body=text,
            name=incident.title,
            impact=impact,
            now=now,
        ):
            return
    calls.owe(
        session=session, incident=incident.id, action="update", status=status, body=text, now=now
    )


async def owe_resolve(session: AsyncSession, incident: Incident, *, now: datetime) -> bool:
    """On resolve: owe the Statuspage incident's resolve, if one was created (or is owed)."""
    earlier = await calls.for_incident(session=session, incident=incident.id)
    if not any(call.action == "create" for call in earlier):
        return False
    if any(call.action == "resolve" for call in earlier):
        return False
    calls.owe(
        session=session,
        incident=incident.id,
        action="resolve",
        status="resolved",
        body=RESOLVED_BODY,
        now=now,
    )
    return True


async def send_due(
    *,
    db: Database,
    statuspage: Statuspage,
    slack: SlackGateway,
    clock: Clock,
    replica: Replica,
    incidents: Collection[str] | None = None,
) -> int:
    """Send the calls due now (of these incidents, or all), each try leased so one process
    makes it; record each outcome and say failures in the channel. Returns calls tried."""
    now = clock()
    async with db.reader() as session:
        if incidents is None:
            due = await calls.due(session=session, now=now)
        else:
            due = [
                c for i in incidents for c in await calls.due(session=session, now=now, incident=i)
            ]
    if not due:
        return 0
    async with db.transaction() as session:
        taken = [
            call
            for call in due
            if await calls.take(
                session=session, call=call.id or 0, expected=call.lease_until, until=now + LEASE
            )
        ]
        ids = {c.incident_id: await _statuspage_id(session, c.incident_id) for c in taken}
        found = await repo.get_incidents(session=session, ids=list(ids))
    if not taken:
        return 0
    outcomes = await asyncio.gather(
        *(_try(call, ids.get(call.incident_id), statuspage=statuspage) for call in taken)
    )
    await outbox.record_and_tell(
        list(zip(taken, outcomes, strict=True)),
        lambda session, call, outcome: _record(session, call, outcome, now=clock()),
        found,
        db=db,
        slack=slack,
        clock=clock,
        replica=replica,
    )
    return len(taken)


async def _statuspage_id(session: AsyncSession, incident: str) -> str | None:
    """The Statuspage incident ID the incident's create learned, if it went through."""
    for call in await calls.for_incident(session=session, incident=incident):
        if call.action == "create" and call.statuspage_id:
            return call.statuspage_id
    return None


async def _try(
    call: StatuspageCall, incident_id: str | None, *, statuspage: Statuspage
) -> str | PagerError:
    """Make one call; the Statuspage incident ID, or the error when it was not accepted."""
    try:
        found = await statuspage.send(call, incident_id)
    except PagerError as error:
        log.warning(
            "Statuspage %s for %s failed (try %d): %s",
            call.action,
            call.incident_id,
            call.attempts + 1,
            error.reason,
        )
        return error
    except Exception as error:  # noqa: BLE001 - a bug must not stop the other calls
        log.exception("Statuspage %s for %s failed", call.action, call.incident_id)
        return PagerError(f"unexpected error {type(error).__name__}", retry=True)
    log.info("Statuspage %s for %s sent", call.action, call.incident_id)
    return found


async def _record(
    session: AsyncSession, call: StatuspageCall, outcome: str | PagerError, *, now: datetime
) -> str:
    """Record a try's outcome; the words to say in the channel, if any."""
    attempts = call.attempts + 1  # `take` counted this try; the loaded row predates it
    assert call.id is not None
    if not isinstance(outcome, PagerError):
        await calls.settle(
            session=session, call=call.id, state="sent", now=now, statuspage_id=outcome or None
        )
        if call.failure_told:
            return texts.statuspage_after_failure_text(action=call.action, attempts=attempts)
        return ""
    retrying = outcome.retry and attempts < pager.MAX_ATTEMPTS
    await calls.settle(
        session=session,
        call=call.id,
        state="pending" if retrying else "failed",
        now=now,
        error=outcome.reason,
        next_attempt_at=now + pager.retry_delay(attempts),
        failure_told=True,
    )
    if retrying and call.failure_told:
        return ""  # said once: the channel hears again when it goes through
    return texts.statuspage_failed_text(
        action=call.action, reason=outcome.reason, retrying=retrying
    )
