"""Paging out: pages owed with the escalation that reaches their level, then sent.

A change that reaches an escalation level (a timer's firing, a confirmed condition,
`/incident page <level>`) owes one page per target of the level in its own unit of work
(`owe_level`); resolving owes a resolve for every target paged (`owe_resolves`). After the
commit, `send_due` sends what is due, and the server's background pass calls it again
every few seconds: a page whose sender died, or that failed and waits for its next try, is
sent from there. Each try is leased (one process sends it) and its outcome recorded; the
first failure is said once in the channel, and so is the success that follows it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks import pages as texts
from bot.clock import Clock
from bot.domain import pager
from bot.domain.errors import BadCommand
from bot.domain.firings import Escalation
from bot.pagers import PageRequest, PagerError, Pagers
from bot.replica import Replica
from bot.services import outbox
from bot.services.unit import unit_of_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import EscalationLevel, Pack
from storage import pages, repo
from storage.db import Database
from storage.models import Incident, Page

log = logging.getLogger(__name__)
# Longer than a request may take (bot.pagers.TIMEOUT): a live sender is never overtaken.
LEASE = timedelta(seconds=30)


def warn_unknown_targets(pack: Pack, settings: Settings) -> list[str]:
    """Log, once at startup, the pack's pager targets the settings give no key (skipped)."""
    unknown = pager.unknown_targets(
        pack,
        pagerduty=settings.pagerduty_routing_keys.keys(),
        opsgenie=settings.opsgenie_api_keys.keys(),
    )
    for target in unknown:
        setting = (
            "PAGERDUTY_ROUTING_KEYS" if target.startswith("pagerduty:") else "OPSGENIE_API_KEYS"
        )
        log.warning(
            "pack %s pages %s, but %s has no key for it: it will not be paged",
            pack.id,
            target,
            setting,
        )
    return unknown


def level_of(pack: Pack, number: int | None) -> EscalationLevel | None:
    """The pack's escalation level with this number, if any."""
    return next((level for level in pack.escalation if level.level == number), None)


async def owe_level(
    session: AsyncSession,
    incident: Incident,
    level: EscalationLevel,
    *,
    reason: str,
    pack: Pack,
    settings: Settings,
    clock: Clock,
    by: str | None = None,
) -> list[str]:
    """Owe a page to each of the level's targets not paged yet for this incident, in the
    caller's unit of work; returns the targets newly owed."""
    targets = pager.level_targets(
        level,
        pagerduty=settings.pagerduty_routing_keys.keys(),
        opsgenie=settings.opsgenie_api_keys.keys(),
    )
    found = pack.severity(incident.severity)
    summary = pager.page_summary(
        incident=incident.id,
        title=incident.title,
        severity=found.name if found else incident.severity,
        level=level.level,
        level_name=level.name,
    )
    details = {"incident": incident.id, "level": level.level, "reason": reason}
    owed = []
    for target in targets:
        if await pages.owe(
            session=session,
            incident=incident.id,
            level=level.level,
            target=target.key,
            service=target.service,
            action="trigger",
            summary=summary,
            details=details,
            rank=_rank(pack, incident.severity),
            now=clock(),
            by=by,
        ):
            owed.append(target.key)
    return owed


async def owe_escalation(
    session: AsyncSession,
    incident: Incident,
    notice: Escalation,
    *,
    pack: Pack,
    settings: Settings,
    clock: Clock,
) -> list[str]:
    """Owe the pages of the level an escalation notice reached (none without a level)."""
    level = level_of(pack, notice.level) if notice.level_name else None
    if level is None:
        return []
    return await owe_level(
        session, incident, level, reason=notice.reason, pack=pack, settings=settings, clock=clock
    )


async def owe_resolves(session: AsyncSession, incident: Incident, *, clock: Clock) -> int:
    """On resolve: owe a resolve to every target paged for the incident, and give up pages
    not sent yet. In the caller's unit of work; returns how many resolves are owed."""
    await pages.cancel_pending(
        session=session, incident=incident.id, action="trigger", reason="resolved before sent"
    )
    triggered = await pages.for_incident(session=session, incident=incident.id)
    owed = 0
    for target in dict.fromkeys(page.target for page in triggered if page.attempts > 0):
        owed += await pages.owe(
            session=session,
            incident=incident.id,
            level=pager.RESOLVE_LEVEL,
            target=target,
            service=pager.parse_target(target).service,
            action="resolve",
            summary=f"{incident.id} resolved",
            details={"incident": incident.id},
            rank=0,
            now=clock(),
        )
    return owed


def _pageable_level(pack: Pack, number: int) -> EscalationLevel:
    """The pack's level `number`, once it names pager targets; else why not."""
    level = level_of(pack, number)
    if level is None:
        numbers = ", ".join(str(lvl.level) for lvl in pack.escalation) or "none"
        raise BadCommand(f"This pack has no escalation level {number} (its levels: {numbers}).")
    if not level.page:
        raise BadCommand(
            f"Level {number} ({level.name}) names no pager targets (`page:` in the pack). "
            "Page a person with `/incident page @user`."
        )
    return level


def _nothing_new(level: EscalationLevel, number: int, earlier: Sequence[Page]) -> str:
    """The reply when every target was paged already; refused when none has a key here."""
    if not earlier:
        raise BadCommand(
            f"None of level {number}'s pager targets ({', '.join(level.page)}) has a key "
            "in this deployment's settings (PAGERDUTY_ROUTING_KEYS, OPSGENIE_API_KEYS)."
        )
    return texts.already_paged_text(
        level=number, paged=[(p.target, p.state, p.sent_at or p.created_at) for p in earlier]
    )


async def page_level(
    incident: Incident,
    *,
    actor: str,
    number: int,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
    pagers: Pagers | None,
) -> str | None:
    """Page a level's targets now (each once per incident, as when the level is reached);
    returns a private reply when there was nothing new to page."""
    level = _pageable_level(pack, number)
    async with unit_of_work(db) as session:
        owed = await owe_level(
            session,
            incident,
            level,
            reason=f"paged on demand by {actor}",
            pack=pack,
            settings=settings,
            clock=clock,
            by=actor,
        )
        if not owed:
            earlier = await pages.for_incident(session=session, incident=incident.id, level=number)
        else:
            text = texts.paged_level_text(
                level=number, level_name=level.name, targets=owed, by=actor
            )
            repo.add_event(
                session=session,
                event=repo.new_event(
                    incident=incident.id,
                    at=clock(),
                    actor=actor,
                    kind="paged",
                    text=text,
                    level=number,
                    targets=owed,
                ),
            )
            post = outbox.owe(session, incident, text, clock=clock)
    if not owed:
        return _nothing_new(level, number, earlier)
    await outbox.deliver([post], db=db, slack=slack, replica=replica)
    if pagers is not None:
        await send_due(
            db=db, pagers=pagers, slack=slack, clock=clock, replica=replica, incidents=[incident.id]
        )
    return None


async def page_person(
    incident: Incident,
    *,
    actor: str,
    person: str,
    db: Database,
    slack: SlackGateway,
    clock: Clock,
    replica: Replica,
) -> None:
    """Page a person with a mention in the incident channel (no pager: users are not mapped
    to pager targets)."""
    text = texts.paged_user_text(
        person=person, incident=incident.id, title=incident.title, by=actor
    )
    async with unit_of_work(db) as session:
        repo.add_event(
            session=session,
            event=repo.new_event(
                incident=incident.id, at=clock(), actor=actor, kind="paged", text=text, user=person
            ),
        )
        post = outbox.owe(session, incident, text, clock=clock)
    await outbox.deliver([post], db=db, slack=slack, replica=replica)


async def send_due(
    *,
    db: Database,
    pagers: Pagers,
    slack: SlackGateway,
    clock: Clock,
    replica: Replica,
    incidents: Collection[str] | None = None,
) -> int:
    """Send the pages due now (of these incidents, or all), each try leased so one process
    makes it; record each outcome and say failures in the channel. Returns pages tried."""
    now = clock()
    async with db.reader() as session:
        if incidents is None:
            due = list(await pages.due(session=session, now=now))
        else:
            due = [
                p for i in incidents for p in await pages.due(session=session, now=now, incident=i)
            ]
    if not due:
        return 0
    async with db.transaction() as session:
        taken = [
            page
            for page in due
            if await pages.take(
                session=session, page=page.id or 0, expected=page.lease_until, until=now + LEASE
            )
        ]
        found = await repo.get_incidents(session=session, ids=[p.incident_id for p in taken])
    if not taken:
        return 0
    outcomes = await asyncio.gather(
        *(_try(page, found.get(page.incident_id), pagers=pagers) for page in taken)
    )
    await outbox.record_and_tell(
        list(zip(taken, outcomes, strict=True)),
        lambda session, page, error: _record(session, page, error, now=clock()),
        found,
        db=db,
        slack=slack,
        clock=clock,
        replica=replica,
    )
    return len(taken)


async def _try(page: Page, incident: Incident | None, *, pagers: Pagers) -> PagerError | None:
    """Send one page; the error when it was not accepted."""
    channel = incident.channel_id if incident else None
    link = f"https://slack.com/app_redirect?channel={channel}" if channel else None
    request = PageRequest(
        target=pager.parse_target(page.target),
        action=page.action,
        incident=page.incident_id,
        summary=page.summary,
        rank=page.rank,
        details={**page.details, "channel": incident.channel_name if incident else None},
        link=link,
    )
    try:
        await pagers.send(request)
    except PagerError as error:
        log.warning(
            "page %s to %s failed (try %d): %s",
            page.id,
            page.target,
            page.attempts + 1,
            error.reason,
        )
        return error
    except Exception as error:  # noqa: BLE001 - a bug must not stop the other pages
        log.exception("page %s to %s failed", page.id, page.target)
        return PagerError(f"unexpected error {type(error).__name__}", retry=True)
    log.info("paged %s for %s (%s)", page.target, page.incident_id, page.action)
    return None


async def _record(
    session: AsyncSession, page: Page, error: PagerError | None, *, now: datetime
) -> str:
    """Record a try's outcome; the words to say in the channel, if any."""
    attempts = page.attempts + 1  # `take` counted this try; the loaded row predates it
    assert page.id is not None
    if error is None:
        await pages.settle(session=session, page=page.id, state="sent", now=now)
        if page.failure_told:
            return texts.paged_after_failure_text(
                action=page.action, target=page.target, attempts=attempts
            )
        return ""
    retrying = error.retry and attempts < pager.MAX_ATTEMPTS
    await pages.settle(
        session=session,
        page=page.id,
        state="pending" if retrying else "failed",
        now=now,
        error=error.reason,
        next_attempt_at=now + pager.retry_delay(attempts),
        failure_told=True,
    )
    if retrying and page.failure_told:
        return ""  # said once: the channel hears again when it goes through
    return texts.paging_failed_text(
        action=page.action, target=page.target, reason=error.reason, retrying=retrying
    )


def _rank(pack: Pack, severity: str) -> int:
    try:
        return pack.rank(severity)
    except KeyError:
        return len(pack.severities)
