"""Planning the clocks: called by the other services inside their own transactions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.cadence import cadence_of
from bot.domain.firings import review_key, step_key
from bot.domain.lifecycle import plan_archive
from bot.domain.timers import (
    TimerKind,
    plan_thresholds,
    plan_updates,
    retro_reminder_at,
    review_reminder_at,
    timer_id,
)
from playbooks.business_calendar import BusinessCalendar
from playbooks.model import Pack, Playbook
from storage import repo, timers
from storage.models import Incident

ARCHIVE_KINDS = (TimerKind.ARCHIVE_NOTICE, TimerKind.ARCHIVE)
UPDATE_KINDS = {
    TimerKind.INTERNAL_UPDATE: ("declared", "update_posted"),
    TimerKind.CUSTOMER_UPDATE: ("declared", "customer_update_posted"),
}


async def plan_open_incident(
    session: AsyncSession,
    pack: Pack,
    incident: Incident,
    now: datetime,
    *,
    calendar: BusinessCalendar,
    fresh: bool = False,
) -> None:
    """(Re)plan update reminders from the last updates, and this severity's thresholds
    (those in business days or hours counted on `calendar`).

    `fresh` (a declaration being recorded) has no updates or timers yet, so its rows are
    inserted in one statement without looking for either.
    """
    cadence = cadence_of(pack, incident.severity, since=incident.declared_at, calendar=calendar)
    last = await _last_updates(session, incident, fresh=fresh)
    planned = plan_updates(
        cadence,
        last_internal=last[TimerKind.INTERNAL_UPDATE],
        last_customer=last[TimerKind.CUSTOMER_UPDATE],
        now=now,
    )
    thresholds = plan_thresholds(cadence, declared_at=incident.declared_at, now=now)
    if fresh:
        await _insert_fresh(session, incident, planned, thresholds)
    else:
        await _replan(session, incident, planned, thresholds)
        await timers.disarm(session=session, incident=incident.id, kinds=ARCHIVE_KINDS)


async def _last_updates(
    session: AsyncSession, incident: Incident, *, fresh: bool
) -> dict[TimerKind, datetime]:
    """When each audience last had an update (the declaration, if none yet)."""
    last = {}
    for kind, event_kinds in UPDATE_KINDS.items():
        at = None
        if not fresh:
            at = await repo.last_event_at(session=session, incident=incident.id, kinds=event_kinds)
        last[kind] = at or incident.declared_at
    return last


async def _insert_fresh(
    session: AsyncSession,
    incident: Incident,
    planned: dict[TimerKind, datetime | None],
    thresholds: dict[str, datetime],
) -> None:
    """Insert a new incident's update and escalation timers in one statement."""
    rows = [(timer_id(incident.id, kind), kind, "", due) for kind, due in planned.items()]
    rows += [
        (timer_id(incident.id, TimerKind.ESCALATION, key), TimerKind.ESCALATION, key, due)
        for key, due in thresholds.items()
    ]
    await timers.insert_new(session=session, incident=incident.id, rows=rows)


async def _replan(
    session: AsyncSession,
    incident: Incident,
    planned: dict[TimerKind, datetime | None],
    thresholds: dict[str, datetime],
) -> None:
    """Move the update timers, arm the thresholds not armed yet and disarm the others."""
    for kind, due in planned.items():
        await timers.set_due(
            session=session,
            timer=timer_id(incident.id, kind),
            incident=incident.id,
            kind=kind,
            due=due,
        )
    keep = []
    for key, due in thresholds.items():
        tid = timer_id(incident.id, TimerKind.ESCALATION, key)
        keep.append(tid)
        await timers.arm_once(
            session=session,
            timer=tid,
            incident=incident.id,
            kind=TimerKind.ESCALATION,
            key=key,
            due=due,
        )
    await timers.disarm(
        session=session, incident=incident.id, kinds=[TimerKind.ESCALATION], keep=keep
    )


async def reset_update_timer(
    session: AsyncSession, pack: Pack, incident: Incident, kind: TimerKind, now: datetime
) -> None:
    """An update of this audience was just posted: restart its countdown (if still open)."""
    if incident.status == "resolved":
        return
    cadence = cadence_of(pack, incident.severity)
    every = cadence.internal if kind is TimerKind.INTERNAL_UPDATE else cadence.customer
    await timers.set_due(
        session=session,
        timer=timer_id(incident.id, kind),
        incident=incident.id,
        kind=kind,
        due=now + every if every else None,
    )


async def stop_for_resolve(
    session: AsyncSession,
    pack: Pack,
    incident: Incident,
    resolved_at: datetime,
    *,
    calendar: BusinessCalendar,
    archive_after: timedelta | None = None,
) -> None:
    """Resolving stops every clock of the incident but its follow-ups' (post-incident
    work), arms the retrospective reminder (its deadline counted on `calendar` when in
    business days or hours), and the channel's archive `archive_after` from now (None:
    never), not before those reminders are made."""
    await timers.disarm(session=session, incident=incident.id, spare_kinds=[TimerKind.FOLLOW_UP])
    reminders = await _arm_reviews(session, pack, incident, resolved_at, calendar)
    if pack.retrospective is not None:
        deadline = pack.retrospective.within.add_to(resolved_at, calendar)
        reminders.append(retro_reminder_at(resolved_at, deadline))
        await timers.set_due(
            session=session,
            timer=timer_id(incident.id, TimerKind.RETRO),
            incident=incident.id,
            kind=TimerKind.RETRO,
            key=deadline.isoformat(),
            due=reminders[-1],
        )
    if archive_after is not None:
        await arm_archive(session, incident, resolved_at, archive_after, reminders=reminders)


async def arm_archive(
    session: AsyncSession,
    incident: Incident,
    quiet_since: datetime,
    after: timedelta,
    *,
    reminders: Sequence[datetime] = (),
) -> None:
    """(Re)arm the channel's archive notice and archive, counted from `quiet_since` (and
    a day after the last of the `reminders` still to be posted there)."""
    plan = plan_archive(quiet_since, after, reminders=reminders)
    key = plan.archive_at.isoformat()
    planned = ((TimerKind.ARCHIVE_NOTICE, plan.notice_at), (TimerKind.ARCHIVE, plan.archive_at))
    for kind, due in planned:
        await timers.set_due(
            session=session,
            timer=timer_id(incident.id, kind),
            incident=incident.id,
            kind=kind,
            key=key,
            due=due,
        )


async def _arm_reviews(
    session: AsyncSession,
    pack: Pack,
    incident: Incident,
    resolved_at: datetime,
    calendar: BusinessCalendar,
) -> list[datetime]:
    """One reminder for each of the pack's duties after resolution, ahead of its deadline;
    returns when they fall due."""
    due = []
    for index, review in enumerate(pack.reviews):
        deadline = review.within.add_to(resolved_at, calendar)
        await timers.set_due(
            session=session,
            timer=timer_id(incident.id, TimerKind.REVIEW, str(index)),
            incident=incident.id,
            kind=TimerKind.REVIEW,
            key=review_key(index, deadline),
            due=review_reminder_at(resolved_at, deadline),
        )
        due.append(review_reminder_at(resolved_at, deadline))
    return due


async def arm_step_deadlines(
    session: AsyncSession,
    incident: Incident,
    playbook: Playbook,
    declared_at: datetime,
    calendar: BusinessCalendar,
) -> None:
    """One nudge per step with its own deadline, in a playbook just attached."""
    for phase, stage in enumerate(playbook.phases):
        for index, step in enumerate(stage.steps):
            if step.within is None:
                continue
            key = step_key(playbook.id, phase, index)
            await timers.arm_once(
                session=session,
                timer=timer_id(incident.id, TimerKind.STEP_DEADLINE, key),
                incident=incident.id,
                kind=TimerKind.STEP_DEADLINE,
                key=key,
                due=step.within.add_to(declared_at, calendar),
            )


async def arm_phase_deadlines(
    session: AsyncSession, incident: Incident, playbook: str, deadlines: list[datetime | None]
) -> None:
    """One nudge per phase deadline of a playbook just attached."""
    for phase, due in enumerate(deadlines):
        if due is not None:
            key = f"{playbook}:{phase}"
            await timers.arm_once(
                session=session,
                timer=timer_id(incident.id, TimerKind.PHASE_DEADLINE, key),
                incident=incident.id,
                kind=TimerKind.PHASE_DEADLINE,
                key=key,
                due=due,
            )


async def arm_follow_up(
    session: AsyncSession, incident: Incident, follow_up: int, due: datetime
) -> None:
    """Remind a follow-up's owner at `due` (09:00 local on its due date), once."""
    await timers.arm_once(
        session=session,
        timer=timer_id(incident.id, TimerKind.FOLLOW_UP, str(follow_up)),
        incident=incident.id,
        kind=TimerKind.FOLLOW_UP,
        key=str(follow_up),
        due=due,
    )
