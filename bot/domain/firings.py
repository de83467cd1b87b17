"""What a due timer does when it fires, decided from a snapshot. Pure; `now` passed in.

The reminders service loads a `Snapshot` for each timer it won (the incident, who holds
which role, whether anyone responded, how many escalations were posted, the phase's step
states), asks `decide` what to do, then records and posts it. Every case here is a unit
test with plain values; nothing here reads the database or talks to Slack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.domain import escalation
from bot.domain.cadence import cadence_of, next_checklist_run
from bot.domain.timers import TimerKind, next_repeat
from playbooks.business_calendar import BusinessCalendar
from playbooks.model import EscalationLevel, Pack

# An escalation for "no response within" is called off by any action a person takes on the
# incident: working the playbook counts as much as posting an update. (Not the playbook
# attached at declaration, nor anything the bot does on its own, such as reminders.)
RESPONSES = (
    "update_posted",
    "customer_update_posted",
    "status_changed",
    "severity_changed",
    "commander_changed",
    "role_assigned",
    "note_added",
    "escalation_confirmed",
    "paged",
    "monitoring_started",
    "log_field_set",
    "step_completed",
    "step_skipped",
    "step_reopened",
    "step_assigned",
)


class TimerFacts(Protocol):
    """The due timer, as the poll saw it."""

    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...


class IncidentFacts(Protocol):
    """The incident the timer belongs to."""

    @property
    def status(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def commander_id(self) -> str: ...
    @property
    def declared_at(self) -> datetime: ...


@dataclass(frozen=True)
class StepFacts:
    """One step of a phase: its status (`open`, `done`, `skipped`) and assignee, if any."""

    status: str
    assignee: str | None = None


@dataclass(frozen=True)
class FollowUpFacts:
    """A follow-up as a firing sees it: its state, owner, text and due date."""

    state: str
    owner: str
    text: str
    due_on: date | None = None


@dataclass(frozen=True)
class Snapshot:
    """What the service loaded for one firing."""

    incident: IncidentFacts | None
    holders: Mapping[str, Sequence[str]] = field(default_factory=dict)
    responded: bool = False
    escalations_so_far: int = 0
    steps: Mapping[tuple[int, int], StepFacts] = field(default_factory=dict)
    follow_up: FollowUpFacts | None = None  # a follow-up timer's follow-up, read now
    open_follow_ups: Sequence[FollowUpFacts] = ()  # for the retrospective reminder


@dataclass(frozen=True)
class UpdateReminder:
    """⏰ No update of this audience for `every`: `who` should post one."""

    audience: str
    every: timedelta
    who: str
    hints: tuple[str, ...] = ()  # for customer updates: how they should sound, where they go


@dataclass(frozen=True)
class Escalation:
    """🚨 A level reached (or, in a pack without levels, a target missed): why, the level,
    its duties, and who is paged."""

    severity: str
    reason: str
    level: int | None
    level_name: str | None
    responsibilities: tuple[str, ...]
    contacts: tuple[str, ...]


@dataclass(frozen=True)
class DeadlineNudge:
    """⏳ A phase deadline passed with steps open (text, owner)."""

    phase: str
    due_at: datetime
    open_steps: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class StepDue:
    """⏳ A step's own deadline passed with the step open: who has it."""

    step: str
    due_at: datetime
    owner: str


@dataclass(frozen=True)
class MonitorEnded:
    """👀 A step's monitoring window ended with the step open: confirm stability."""

    step: str
    window: timedelta
    who: str


@dataclass(frozen=True)
class RetroReminder:
    """📝 Hold the retrospective by the deadline; the follow-ups still open."""

    commander: str
    deadline: datetime
    follow_ups: tuple[FollowUpFacts, ...] = ()


@dataclass(frozen=True)
class FollowUpDue:
    """🗓 A follow-up is due today and still open: remind its owner."""

    owner: str
    text: str


@dataclass(frozen=True)
class ReviewReminder:
    """📝 A duty after resolution is due by its deadline."""

    commander: str
    name: str
    deadline: datetime


@dataclass(frozen=True)
class ChecklistRun:
    """A scheduled checklist falls due: post it."""

    checklist: str
    title: str


@dataclass(frozen=True)
class ArchiveNotice:
    """🗄 The resolved incident's channel will be archived on `on`, unless someone speaks."""

    on: datetime


@dataclass(frozen=True)
class ArchiveChannel:
    """Archive the resolved incident's channel now (nothing is posted)."""


Notice = (
    UpdateReminder
    | Escalation
    | DeadlineNudge
    | StepDue
    | MonitorEnded
    | RetroReminder
    | ReviewReminder
    | ChecklistRun
    | FollowUpDue
    | ArchiveNotice
    | ArchiveChannel
)


@dataclass(frozen=True)
class Firing:
    """The outcome: where the timer goes next, and what (if anything) to record and post."""

    next_due: datetime | None
    kind: str | None = None  # the timeline event kind; None records and posts nothing
    notice: Notice | None = None
    data: Mapping[str, object] = field(default_factory=dict)


STOP = Firing(next_due=None)


@dataclass(frozen=True)
class Context:
    """The settings a decision needs: the pack, the local time zone, escalation contacts,
    and the business calendar that business days and hours are counted on."""

    pack: Pack
    tz: str = "UTC"
    contacts: Mapping[int, Sequence[str]] = field(default_factory=dict)
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)


def decide(timer: TimerFacts, snap: Snapshot, now: datetime, ctx: Context) -> Firing:
    """What this firing does."""
    kind = TimerKind(timer.kind)
    if kind is TimerKind.CHECKLIST:
        return _checklist(timer, now, ctx)
    incident = snap.incident
    if incident is None:
        return STOP
    if kind is TimerKind.RETRO:
        deadline = datetime.fromisoformat(timer.key)
        notice = RetroReminder(
            commander=incident.commander_id,
            deadline=deadline,
            follow_ups=tuple(snap.open_follow_ups),
        )
        return Firing(next_due=None, kind="retro_reminder", notice=notice)
    if kind is TimerKind.FOLLOW_UP:
        return _follow_up(timer, snap)
    if kind is TimerKind.REVIEW:
        return _review(timer, incident, ctx.pack)
    if kind in (TimerKind.ARCHIVE_NOTICE, TimerKind.ARCHIVE):
        return _archive(timer, kind, incident)
    if incident.status == "resolved":
        return STOP
    if kind in (TimerKind.INTERNAL_UPDATE, TimerKind.CUSTOMER_UPDATE):
        return _update_reminder(timer, kind, incident, snap, now, ctx.pack)
    if kind is TimerKind.ESCALATION:
        return _escalation(timer, incident, snap, ctx)
    if kind in (TimerKind.STEP_DEADLINE, TimerKind.MONITOR):
        return _step_timer(timer, kind, incident, snap, ctx.pack)
    return _deadline(timer, incident, snap, ctx.pack)


def _follow_up(timer: TimerFacts, snap: Snapshot) -> Firing:
    """Remind the owner on the due date, if still open; resolved or not (post-incident work)."""
    follow_up = snap.follow_up
    if follow_up is None or follow_up.state != "open":
        return STOP  # done before the date (or gone): nothing to say
    notice = FollowUpDue(owner=follow_up.owner, text=follow_up.text)
    data = {"follow_up": timer.key, "owner": follow_up.owner}
    return Firing(next_due=None, kind="follow_up_reminded", notice=notice, data=data)


def _checklist(timer: TimerFacts, now: datetime, ctx: Context) -> Firing:
    checklist = ctx.pack.checklist(timer.key)
    if checklist is None:
        return STOP
    due = next_checklist_run(checklist, now, ctx.tz)
    notice = ChecklistRun(checklist=checklist.id, title=checklist.title)
    return Firing(next_due=due, kind="checklist_posted", notice=notice)


def review_key(index: int, deadline: datetime) -> str:
    """A review timer's key: which review of the pack, and its deadline."""
    return f"{index}|{deadline.isoformat()}"


def _review(timer: TimerFacts, incident: IncidentFacts, pack: Pack) -> Firing:
    index, _, deadline = timer.key.partition("|")
    if incident.status != "resolved":
        return STOP  # reopened: resolving again arms the reviews anew
    if not index.isdigit() or int(index) >= len(pack.reviews):
        return STOP  # the pack changed since: this review is gone
    review = pack.reviews[int(index)]
    notice = ReviewReminder(
        commander=incident.commander_id,
        name=review.name,
        deadline=datetime.fromisoformat(deadline),
    )
    data = {"review": review.name, "deadline": deadline}
    return Firing(next_due=None, kind="review_reminder", notice=notice, data=data)


def _archive(timer: TimerFacts, kind: TimerKind, incident: IncidentFacts) -> Firing:
    """The notice a day before, then the archive itself; neither once reopened."""
    if incident.status != "resolved":
        return STOP
    data = {"archive_at": timer.key}
    if kind is TimerKind.ARCHIVE_NOTICE:
        notice = ArchiveNotice(on=datetime.fromisoformat(timer.key))
        return Firing(next_due=None, kind="archive_notice", notice=notice, data=data)
    return Firing(next_due=None, kind="channel_archived", notice=ArchiveChannel(), data=data)


def customer_hints(pack: Pack) -> tuple[str, ...]:
    """What a customer-update reminder adds from the pack: its guidelines, where each
    audience is reached, and the default wording to start from."""
    hints = [f"Guideline: {g}" for g in pack.comms.guidelines]
    hints += [f"{a.name}: {', '.join(a.channels)}" for a in pack.comms.audiences if a.channels]
    hints.append(f"Start from: {pack.comms.template}")
    return tuple(hints)


def reminded(incident: IncidentFacts, holders: Mapping[str, Sequence[str]], owner: str) -> str:
    """Who a customer-update reminder names: the comms owner role's holder, else the
    commander."""
    held = holders.get(owner) if owner else None
    return held[0] if held else incident.commander_id


def _update_reminder(
    timer: TimerFacts,
    kind: TimerKind,
    incident: IncidentFacts,
    snap: Snapshot,
    now: datetime,
    pack: Pack,
) -> Firing:
    cadence = cadence_of(pack, incident.severity)
    internal = kind is TimerKind.INTERNAL_UPDATE
    every = cadence.internal if internal else cadence.customer
    if every is None:
        return STOP
    who = incident.commander_id
    if not internal:
        who = reminded(incident, snap.holders, pack.comms.owner_role or "")
    audience = "internal" if internal else "customer"
    hints = () if internal else customer_hints(pack)
    return Firing(
        next_due=next_repeat(timer.due_at, every, now),
        kind="reminder_sent",
        notice=UpdateReminder(audience=audience, every=every, who=who, hints=hints),
        data={"audience": audience, "mentioned": who},
    )


def _escalation(timer: TimerFacts, incident: IncidentFacts, snap: Snapshot, ctx: Context) -> Firing:
    name, _, severity = timer.key.partition(":")
    pack = ctx.pack
    thresholds = dict(
        cadence_of(pack, severity, since=incident.declared_at, calendar=ctx.calendar).thresholds
    )
    if name not in thresholds:
        return STOP  # the pack changed since the timer was armed: this clock is gone
    where = escalation.parse_key(name)
    if where is not None:
        reached = escalation.find(pack, *where)
        if reached is None:
            return STOP
    elif name == "respond_within" and snap.responded:
        return STOP  # someone responded in time: nothing to escalate
    else:
        reached = escalation.claiming(pack, name, severity)
    notice = escalation_notice(reached, incident, snap, ctx, severity=severity, missed=name)
    data = {"threshold": name, "severity": severity, "level": notice.level}
    return Firing(next_due=None, kind="escalated", notice=notice, data=data)


def escalation_notice(
    reached: escalation.Reached | None,
    incident: IncidentFacts,
    snap: Snapshot,
    ctx: Context,
    *,
    severity: str,
    missed: str = "",
) -> Escalation:
    """The notice for a level reached, or for a missed target no level claims.

    A pack without levels names one more level per notice (its ESCALATION_CONTACTS)."""
    pack = ctx.pack
    found = pack.severity(severity)
    names = {s.id: s.name for s in pack.severities}
    targets = escalation.target_words(found)
    holders = {**snap.holders, "commander": [incident.commander_id]}
    if reached is not None:
        level: EscalationLevel | None = reached.level
        reason = escalation.describe(reached.criterion, names, targets)
        number: int | None = reached.level.level
    else:
        level = None
        reason = escalation.missed_reason(missed, targets)
        number = None if pack.escalation else snap.escalations_so_far + 1
    contacts = escalation.contacts_for(level, configured=ctx.contacts, holders=holders)
    if level is None and number is not None:
        contacts = tuple(ctx.contacts.get(number, ()))
    return Escalation(
        severity=found.name if found else severity,
        reason=reason,
        level=number,
        level_name=level.name if level else None,
        responsibilities=tuple(level.responsibilities) if level else (),
        contacts=contacts,
    )


def deadline_phase(timer: TimerFacts) -> tuple[str, int] | None:
    """The playbook and phase index a phase-deadline timer is for."""
    playbook_id, _, phase_text = timer.key.rpartition(":")
    return (playbook_id, int(phase_text)) if phase_text.isdigit() else None


def step_key(playbook: str, phase: int, step: int, who: str = "") -> str:
    """A step timer's key: `refund:0:2`, and for a monitoring window `|` who started it."""
    where = f"{playbook}:{phase}:{step}"
    return f"{where}|{who}" if who else where


def timer_step(timer: TimerFacts) -> tuple[str, int, int, str] | None:
    """The playbook, phase, step (and who started it) a step timer is for."""
    where, _, who = timer.key.partition("|")
    playbook_id, phase, step = (where.split(":") + ["", ""])[:3]
    if not (phase.isdigit() and step.isdigit()):
        return None
    return playbook_id, int(phase), int(step), who


def timer_playbook(timer: TimerFacts) -> str | None:
    """The playbook a phase or step timer is for (to load its step states)."""
    if timer.kind == TimerKind.PHASE_DEADLINE:
        where = deadline_phase(timer)
        return where[0] if where else None
    if timer.kind not in (TimerKind.STEP_DEADLINE, TimerKind.MONITOR):
        return None
    step = timer_step(timer)
    return step[0] if step else None


def _step_timer(
    timer: TimerFacts, kind: TimerKind, incident: IncidentFacts, snap: Snapshot, pack: Pack
) -> Firing:
    where = timer_step(timer)
    playbook = pack.playbook(where[0]) if where else None
    if where is None or playbook is None or where[1] >= len(playbook.phases):
        return STOP
    _, phase, index, who = where
    steps = playbook.phases[phase].steps
    state = snap.steps.get((phase, index))
    if index >= len(steps) or state is None or state.status != "open":
        return STOP  # done or skipped in time: nothing to say
    step = steps[index]
    held = snap.holders.get(step.role) if step.role else None
    owner = state.assignee or (held[0] if held else incident.commander_id)
    data = {"playbook": playbook.id, "phase": phase, "step": index}
    if kind is TimerKind.STEP_DEADLINE:
        notice: Notice = StepDue(step=step.text, due_at=timer.due_at, owner=owner)
        return Firing(next_due=None, kind="step_overdue", notice=notice, data=data)
    window = step.monitor.as_timedelta() if step.monitor and not step.monitor.is_business else None
    if window is None:
        return STOP
    notice = MonitorEnded(step=step.text, window=window, who=who or owner)
    return Firing(next_due=None, kind="monitoring_ended", notice=notice, data=data)


def _deadline(timer: TimerFacts, incident: IncidentFacts, snap: Snapshot, pack: Pack) -> Firing:
    where = deadline_phase(timer)
    playbook = pack.playbook(where[0]) if where else None
    if where is None or playbook is None or where[1] >= len(playbook.phases):
        return STOP
    playbook_id, phase = where
    holders = {**snap.holders, "commander": [incident.commander_id]}
    open_steps: list[tuple[str, str | None]] = []
    for index, step in enumerate(playbook.phases[phase].steps):
        state = snap.steps.get((phase, index))
        if state is None or state.status != "open":
            continue
        held = holders.get(step.role) if step.role else None
        open_steps.append((step.text, state.assignee or (held[0] if held else None)))
    if not open_steps:
        return STOP
    notice = DeadlineNudge(
        phase=playbook.phases[phase].name, due_at=timer.due_at, open_steps=tuple(open_steps)
    )
    data = {"playbook": playbook_id, "phase": phase, "open": len(open_steps)}
    return Firing(next_due=None, kind="deadline_missed", notice=notice, data=data)
