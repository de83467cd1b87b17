"""What happens when a timer falls due: claim the firing once, decide, record, then post.

The decision is pure (`bot.domain.firings.decide`, from a snapshot loaded here); this
module leases, loads, records and posts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks import notices
from bot.blocks.follow_ups import follow_up_due_text
from bot.blocks.stakeholders import archive_notice_text, archived_line
from bot.clock import Clock
from bot.domain import firings
from bot.domain.firings import Firing, FollowUpFacts, Notice, Snapshot, StepFacts
from bot.domain.follow_ups import in_order
from bot.domain.timers import REPEATING, TimerKind
from bot.logs import working_on
from bot.pagers import Pagers
from bot.replica import Replica
from bot.services import checklists, lifecycle, outbox, paging, posts
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import follow_ups, repo, steps, timers
from storage.db import Database
from storage.models import FollowUp, Incident, OutboxPost
from storage.timers import DueTimer

log = logging.getLogger(__name__)
# Repeating firings are posted at once (the next one comes on its cadence); one-shot
# notices are kept in the outbox until posted (a missed escalation would not come again).
ONE_SHOT = frozenset(TimerKind) - REPEATING
LEASE = timedelta(seconds=30)
Decided = tuple[DueTimer, Incident | None, Firing]


async def fire(
    due: Sequence[DueTimer],
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
    pagers: Pagers | None = None,
) -> list[DueTimer]:
    """Fire a batch of due timers; returns those this process won and recorded.

    Lease first (one conditional UPDATE per timer, so a losing replica does nothing more),
    then decide what to post from a fresh snapshot, then record every firing and move each
    timer on in one commit, and only then post. A crash before that commit leaves the
    leases to expire and the timers fire again; a crash after it loses at most those posts,
    never doubles them. Two write transactions per batch, not per timer, keep SQLite fast.
    An escalation owes its level's pages in that commit too; they are sent right after with
    `pagers` (without, by the server's background pass).
    """
    now = clock()
    lease_until = now + LEASE
    won, incidents = await _lease(due, lease_until, db=db)
    if not won:
        return []
    decided = await _decide_all(won, incidents, now, db=db, pack=pack, settings=settings)
    decided = await _archive_first(decided, slack=slack)
    recorded, owed, paged = await _record(
        decided, lease_until, now, db=db, pack=pack, settings=settings, clock=clock
    )
    await asyncio.gather(
        *(
            _post_now(*item, db=db, slack=slack, pack=pack, clock=clock, settings=settings)
            for item in recorded
            if item[2].kind and item[0].kind in REPEATING
        ),
        _deliver(owed, db=db, slack=slack, replica=replica),
    )
    if paged and pagers is not None:
        await paging.send_due(
            db=db, pagers=pagers, slack=slack, clock=clock, replica=replica, incidents=paged
        )
    return [timer for timer, _, _ in recorded]


async def _decide_all(
    won: Sequence[DueTimer],
    incidents: dict[str, Incident],
    now: datetime,
    *,
    db: Database,
    pack: Pack,
    settings: Settings,
) -> list[tuple[DueTimer, Incident | None, Firing]]:
    """What each won timer posts, decided from one fresh snapshot read."""
    context = firings.Context(
        pack=pack,
        tz=settings.tz,
        contacts=settings.escalation_contacts,
        calendar=settings.calendar,
    )
    async with db.reader() as session:
        return [
            (
                timer,
                incident,
                _decide(timer, await _snapshot(session, timer, incident, pack), now, context),
            )
            for timer in won
            for incident in [incidents.get(timer.incident_id or "")]
        ]


def _decide(timer: DueTimer, snap: Snapshot, now: datetime, context: firings.Context) -> Firing:
    """The pure decision; one that fails (a bug, deterministic) stops that timer alone
    instead of blocking every firing batched with it."""
    try:
        return firings.decide(timer, snap, now, context)
    except Exception:  # noqa: BLE001 - logged with its traceback; the batch goes on
        log.exception("could not decide what timer %s does; it is stopped", timer.id)
        return firings.STOP


async def _archive_first(decided: list[Decided], *, slack: SlackGateway) -> list[Decided]:
    """Archive the channels due before recording it: one Slack refused for now is left
    unrecorded, so its timer falls due again when the lease runs out (archiving twice is
    harmless: `already_archived`)."""
    kept = []
    for timer, incident, firing in decided:
        if isinstance(firing.notice, firings.ArchiveChannel) and incident is not None:
            if not await lifecycle.archive_channel(incident, slack=slack):
                continue
        kept.append((timer, incident, firing))
    return kept


async def _lease(
    due: Sequence[DueTimer], until: datetime, *, db: Database
) -> tuple[list[DueTimer], dict[str, Incident]]:
    """Take the firings no other replica took; with the incidents they belong to."""
    async with db.transaction() as session:
        won = [
            timer
            for timer in due
            if await timers.lease(
                session=session, timer=timer.id, expected=timer.due_at, until=until
            )
        ]
        incidents = await repo.get_incidents(
            session=session, ids=[t.incident_id for t in won if t.incident_id]
        )
    return won, incidents


async def _snapshot(
    session: AsyncSession, timer: DueTimer, incident: Incident | None, pack: Pack
) -> Snapshot:
    """What the decision about this timer needs to know, read now."""
    kind = TimerKind(timer.kind)
    if incident is not None and kind in (TimerKind.FOLLOW_UP, TimerKind.RETRO):
        return await _follow_up_snapshot(session, timer, incident)
    if incident is None or incident.status == "resolved":
        return Snapshot(incident=incident)
    if kind is TimerKind.ESCALATION:
        responded = await repo.last_event_at(
            session=session, incident=incident.id, kinds=firings.RESPONSES
        )
        earlier = await repo.count_events(session=session, incident=incident.id, kind="escalated")
        holders = await repo.role_holders(session=session, incident=incident.id)
        return Snapshot(
            incident=incident,
            holders=holders,
            responded=responded is not None,
            escalations_so_far=earlier,
        )
    if kind is TimerKind.CUSTOMER_UPDATE and pack.comms.owner_role:
        holders = await repo.role_holders(session=session, incident=incident.id)
        return Snapshot(incident=incident, holders=holders)
    playbook = firings.timer_playbook(timer)
    if playbook is None:
        return Snapshot(incident=incident)
    states = await steps.step_states(session=session, incident=incident.id, playbook=playbook)
    holders = await repo.role_holders(session=session, incident=incident.id)
    return Snapshot(
        incident=incident,
        holders=holders,
        steps={key: StepFacts(s.status, s.assignee) for key, s in states.items()},
    )


async def _follow_up_snapshot(
    session: AsyncSession, timer: DueTimer, incident: Incident
) -> Snapshot:
    """A follow-up timer's follow-up; for the retrospective, the follow-ups still open."""
    if timer.kind == TimerKind.RETRO:
        still_open = await follow_ups.for_incident(
            session=session, incident=incident.id, state="open"
        )
        return Snapshot(
            incident=incident, open_follow_ups=[_follow_up_facts(f) for f in still_open]
        )
    found = await follow_ups.get(session=session, follow_up=int(timer.key or 0))
    return Snapshot(incident=incident, follow_up=_follow_up_facts(found) if found else None)


def _follow_up_facts(found: FollowUp) -> FollowUpFacts:
    return FollowUpFacts(
        state=found.state, owner=found.owner_id, text=found.text, due_on=found.due_on
    )


async def _record(
    decided: list[Decided],
    lease_until: datetime,
    now: datetime,
    *,
    db: Database,
    pack: Pack,
    settings: Settings,
    clock: Clock,
) -> tuple[list[Decided], list[list[OutboxPost]], set[str]]:
    """Record each firing and move its timer on, in one commit; owe its one-shot posts and
    the pages of the escalation levels reached (the incidents that owe pages)."""
    recorded: list[Decided] = []
    owed: dict[str, list[OutboxPost]] = {}
    paged: set[str] = set()
    async with db.transaction() as session:
        for timer, incident, firing in decided:
            if not await timers.claim(
                session=session,
                timer=timer.id,
                expected=lease_until,
                next_due=firing.next_due,
                now=now,
                event=_event(timer, incident, firing, now),
            ):
                continue
            recorded.append((timer, incident, firing))
            if (
                firing.kind
                and incident is not None
                and timer.kind in ONE_SHOT
                and not isinstance(firing.notice, firings.ArchiveChannel)  # nothing to post
            ):
                # Owed with the firing: a crash after this commit still posts it once.
                post = outbox.owe(session, incident, notice_text(firing.notice), clock=clock)
                owed.setdefault(incident.id, []).append(post)
            if isinstance(firing.notice, firings.Escalation) and incident is not None:
                if await paging.owe_escalation(
                    session, incident, firing.notice, pack=pack, settings=settings, clock=clock
                ):
                    paged.add(incident.id)
    return recorded, list(owed.values()), paged


def notice_text(notice: Notice | None) -> str:
    """The words of a notice, as posted and as recorded in the timeline."""
    match notice:
        case firings.UpdateReminder(audience=audience, every=every, who=who, hints=hints):
            return notices.update_reminder_text(
                audience=audience, every=every, who=who, hints=hints
            )
        case firings.Escalation():
            return notices.escalation_text(
                severity=notice.severity,
                reason=notice.reason,
                level=notice.level,
                level_name=notice.level_name,
                responsibilities=notice.responsibilities,
                contacts=notice.contacts,
            )
        case firings.DeadlineNudge(phase=phase, due_at=due_at, open_steps=open_steps):
            return notices.deadline_nudge_text(phase=phase, due_at=due_at, open_steps=open_steps)
        case firings.RetroReminder(commander=commander, deadline=deadline, follow_ups=open_ones):
            return notices.retro_reminder_text(
                commander=commander,
                deadline=deadline,
                follow_ups=[(f.text, f.owner, f.due_on) for f in in_order(open_ones)],
            )
        case firings.FollowUpDue(owner=owner, text=text):
            return follow_up_due_text(owner=owner, text=text)
        case firings.StepDue(step=step, due_at=due_at, owner=owner):
            return notices.step_due_text(step=step, due_at=due_at, owner=owner)
        case firings.MonitorEnded(step=step, window=window, who=who):
            return notices.monitor_ended_text(step=step, window=window, who=who)
        case firings.ReviewReminder(commander=commander, name=name, deadline=deadline):
            return notices.review_reminder_text(commander=commander, name=name, deadline=deadline)
        case firings.ChecklistRun(title=title):
            return title
        case firings.ArchiveNotice(on=on):
            return archive_notice_text(on=on)
        case firings.ArchiveChannel():
            return archived_line()
    return ""


def _event(timer: DueTimer, incident: Incident | None, firing: Firing, now: datetime) -> Any:
    if not firing.kind or incident is None:
        return None
    return repo.new_event(
        incident=incident.id,
        at=now,
        actor=None,
        kind=firing.kind,
        text=notice_text(firing.notice),
        timer=timer.kind,
        due=timer.due_at.isoformat(),
        **firing.data,
    )


async def _post_now(
    timer: DueTimer,
    incident: Incident | None,
    firing: Firing,
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
) -> None:
    """Post a repeating firing (an update reminder, a daily checklist) once, now.

    Not kept in the outbox: a crash right after the commit loses this one post, and the
    next firing comes on its cadence anyway. (One-shot notices go through the outbox.)
    """
    working_on(incident.id if incident else None)  # a task of its own (gathered)
    try:
        if timer.kind == TimerKind.CHECKLIST:
            checklist = pack.checklist(timer.key)
            if checklist is not None:
                channel = checklist.channel or settings.incidents_channel
                await checklists.post_checklist(
                    checklist, channel=channel.lstrip("#"), db=db, slack=slack, clock=clock
                )
        elif incident is not None and incident.channel_id:
            await posts.post_once(
                slack.client,
                channel=incident.channel_id,
                incident_id=incident.id,
                kind=f"timer:{timer.id}:{timer.due_at.isoformat()}",
                text=notice_text(firing.notice),
            )
    except Exception as error:  # noqa: BLE001 - one failed post must not stop the others
        log.warning("could not post %s: %r", timer.id, error)


async def _deliver(
    groups: list[list[OutboxPost]], *, db: Database, slack: SlackGateway, replica: Replica
) -> None:
    try:
        for gone in await outbox.deliver_groups(groups, db=db, slack=slack, replica=replica):
            log.warning("a reminder's channel is gone: %s", gone)
    except Exception as error:  # noqa: BLE001 - still owed: a later pass posts them
        log.warning("could not record posted reminders: %r", error)
