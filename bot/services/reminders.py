"""What happens when a timer falls due: claim the firing once, record it, then post."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.blocks import notices
from bot.clock import Clock
from bot.domain.timers import (
    REPEATING,
    THRESHOLD_LABELS,
    TimerKind,
    escalation_level,
    next_repeat,
)
from bot.replica import Replica
from bot.services import checklists, outbox, posts
from bot.services.timers import cadence_of
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import repo, steps, timers
from storage.db import Database
from storage.models import Incident, OutboxPost
from storage.timers import DueTimer

log = logging.getLogger(__name__)
# Repeating firings are posted at once (the next one comes on its cadence); one-shot
# notices are kept in the outbox until posted (a missed escalation would not come again).
ONE_SHOT = frozenset(TimerKind) - REPEATING
RESPONSES = ("update_posted", "customer_update_posted", "status_changed")
LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class Firing:
    """The outcome of a due timer: where it goes next, and what (if anything) to post."""

    next_due: datetime | None
    kind: str | None = None  # timeline event kind; None posts nothing
    text: str = ""
    data: dict[str, object] | None = None


async def fire(
    due: Sequence[DueTimer],
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> int:
    """Fire a batch of due timers; returns how many this process won and recorded.

    Lease first (one conditional UPDATE per timer, so a losing replica does nothing more),
    then decide what to post from fresh reads, then record every firing and move each timer
    on in one commit, and only then post. A crash before that commit leaves the leases to
    expire and the timers fire again; a crash after it loses at most those posts, never
    doubles them. Two write transactions per batch, not per timer, keep SQLite fast.
    """
    now = clock()
    lease_until = now + LEASE
    async with db.transaction() as session:
        won = [
            timer
            for timer in due
            if await timers.lease(
                session=session, timer=timer.id, expected=timer.due_at, until=lease_until
            )
        ]
        incidents = await repo.get_incidents(
            session=session, ids=[t.incident_id for t in won if t.incident_id]
        )
    if not won:
        return 0
    decided = []
    for timer in won:
        incident = incidents.get(timer.incident_id or "")
        firing = await _decide(timer, incident, now, db=db, pack=pack, settings=settings)
        decided.append((timer, incident, firing))
    recorded, owed = [], {}
    async with db.transaction() as session:
        for timer, incident, firing in decided:
            if await timers.claim(
                session=session,
                timer=timer.id,
                expected=lease_until,
                next_due=firing.next_due,
                now=now,
                event=_event(timer, incident, firing, now),
            ):
                recorded.append((timer, incident, firing))
                if firing.kind and incident is not None and timer.kind in ONE_SHOT:
                    # Owed with the firing: a crash after this commit still posts it once.
                    post = outbox.owe(session, incident, firing.text, clock=clock)
                    owed.setdefault(incident.id, []).append(post)
    await asyncio.gather(
        *(
            _post_now(*item, db=db, slack=slack, pack=pack, clock=clock, settings=settings)
            for item in recorded
            if item[2].kind and item[0].kind in REPEATING
        ),
        _deliver(list(owed.values()), db=db, slack=slack, replica=replica),
    )
    return len(recorded)


def _event(timer: DueTimer, incident: Incident | None, firing: Firing, now: datetime) -> Any:
    if not firing.kind or incident is None:
        return None
    return repo.new_event(
        incident=incident.id,
        at=now,
        actor=None,
        kind=firing.kind,
        text=firing.text,
        timer=timer.kind,
        due=timer.due_at.isoformat(),
        **(firing.data or {}),
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
                text=firing.text,
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


async def _decide(
    timer: DueTimer,
    incident: Incident | None,
    now: datetime,
    *,
    db: Database,
    pack: Pack,
    settings: Settings,
) -> Firing:
    kind = TimerKind(timer.kind)
    if kind is TimerKind.CHECKLIST:
        checklist = pack.checklist(timer.key)
        if checklist is None:
            return Firing(next_due=None)
        due = checklists.next_checklist_run(checklist, now, settings.tz)
        return Firing(next_due=due, kind="checklist_posted", text=checklist.title)
    if incident is None:
        return Firing(next_due=None)
    if kind is TimerKind.RETRO:
        deadline = datetime.fromisoformat(timer.key)
        return Firing(
            next_due=None,
            kind="retro_reminder",
            text=notices.retro_reminder_text(commander=incident.commander_id, deadline=deadline),
        )
    if incident.status == "resolved":
        return Firing(next_due=None)
    if kind in (TimerKind.INTERNAL_UPDATE, TimerKind.CUSTOMER_UPDATE):
        return await _update_reminder(timer, incident, kind, now, db=db, pack=pack)
    if kind is TimerKind.ESCALATION:
        return await _escalation(timer, incident, db=db, pack=pack, settings=settings)
    return await _deadline(timer, incident, db=db, pack=pack)


async def _update_reminder(
    timer: DueTimer, incident: Incident, kind: TimerKind, now: datetime, *, db: Database, pack: Pack
) -> Firing:
    cadence = cadence_of(pack, incident.severity)
    internal = kind is TimerKind.INTERNAL_UPDATE
    every = cadence.internal if internal else cadence.customer
    if every is None:
        return Firing(next_due=None)
    who = incident.commander_id
    owner = pack.comms.owner_role
    if not internal and owner:
        async with db.reader() as session:
            holders = (await repo.role_holders(session=session, incident=incident.id)).get(owner)
        who = holders[0] if holders else who
    audience = "internal" if internal else "customer"
    return Firing(
        next_due=next_repeat(timer.due_at, every, now),
        kind="reminder_sent",
        text=notices.update_reminder_text(audience=audience, every=every, who=who),
        data={"audience": audience, "mentioned": who},
    )


async def _escalation(
    timer: DueTimer, incident: Incident, *, db: Database, pack: Pack, settings: Settings
) -> Firing:
    threshold, _, severity = timer.key.partition(":")
    async with db.reader() as session:
        if threshold == "respond_within" and await repo.last_event_at(
            session=session, incident=incident.id, kinds=RESPONSES
        ):
            return Firing(next_due=None)  # someone responded in time: nothing to escalate
        earlier = await repo.count_events(session=session, incident=incident.id, kind="escalated")
    cadence = dict(cadence_of(pack, severity, since=incident.declared_at).thresholds)
    levels = sorted(pack.escalation, key=lambda lvl: lvl.level)
    level = escalation_level(len(levels), earlier)
    chosen = levels[level - 1] if level else None
    number = chosen.level if chosen else earlier + 1
    found = pack.severity(severity)
    text = notices.escalation_text(
        severity=found.name if found else severity,
        reason=THRESHOLD_LABELS.get(threshold, threshold),
        after=cadence[threshold],
        level=number,
        level_name=chosen.name if chosen else None,
        responsibilities=chosen.responsibilities if chosen else (),
        contacts=settings.escalation_contacts.get(number, ()),
    )
    return Firing(
        next_due=None,
        kind="escalated",
        text=text,
        data={"threshold": threshold, "severity": severity, "level": number},
    )


async def _deadline(timer: DueTimer, incident: Incident, *, db: Database, pack: Pack) -> Firing:
    playbook_id, _, phase_text = timer.key.rpartition(":")
    playbook = pack.playbook(playbook_id)
    if playbook is None or not phase_text.isdigit() or int(phase_text) >= len(playbook.phases):
        return Firing(next_due=None)
    phase = int(phase_text)
    async with db.reader() as session:
        states = await steps.step_states(
            session=session, incident=incident.id, playbook=playbook_id
        )
        holders = await repo.role_holders(session=session, incident=incident.id)
    holders["commander"] = [incident.commander_id]
    open_steps = []
    for index, step in enumerate(playbook.phases[phase].steps):
        state = states.get((phase, index))
        if state is None or state.status != "open":
            continue
        owner = state.assignee or ((holders.get(step.role) or [None])[0] if step.role else None)
        open_steps.append((step.text, owner))
    if not open_steps:
        return Firing(next_due=None)
    text = notices.deadline_nudge_text(
        phase=playbook.phases[phase].name, due_at=timer.due_at, open_steps=open_steps
    )
    return Firing(
        next_due=None,
        kind="deadline_missed",
        text=text,
        data={"playbook": playbook_id, "phase": phase, "open": len(open_steps)},
    )
