"""Timer policy: which clocks an incident runs and when each falls due. Pure; `now` passed in.

Timers are rows keyed `<scope>:<kind>:<key>`. Repeating timers (update reminders, checklists)
move to their next due time when they fire; one-shot timers (escalation thresholds, phase
deadlines, the retrospective) fire once and stay fired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

THRESHOLDS = ("respond_within", "escalate_after", "resolve_within")
THRESHOLD_LABELS = {
    "respond_within": "no response within",
    "escalate_after": "still open after",
    "resolve_within": "not resolved within",
}


class TimerKind(StrEnum):
    """What a timer is for; also the timeline event it records when it fires."""

    INTERNAL_UPDATE = "internal_update"
    CUSTOMER_UPDATE = "customer_update"
    ESCALATION = "escalation"
    PHASE_DEADLINE = "phase_deadline"
    RETRO = "retro"
    REVIEW = "review"
    STEP_DEADLINE = "step_deadline"
    MONITOR = "monitor"
    CHECKLIST = "checklist"
    FOLLOW_UP = "follow_up"
    ARCHIVE_NOTICE = "archive_notice"
    ARCHIVE = "archive"


REPEATING = frozenset({TimerKind.INTERNAL_UPDATE, TimerKind.CUSTOMER_UPDATE, TimerKind.CHECKLIST})


def timer_id(scope: str, kind: TimerKind, key: str = "") -> str:
    """The row ID of a timer, e.g. `INC-2026-11-22-001:escalation:resolve_within:sev1`."""
    return f"{scope}:{kind.value}:{key}"


@dataclass(frozen=True)
class Cadence:
    """The clocks of one severity: update intervals and escalation thresholds."""

    severity: str
    internal: timedelta | None
    customer: timedelta | None
    thresholds: tuple[tuple[str, timedelta], ...] = ()


def human(every: timedelta) -> str:
    """`30 min`, `1 h 30 min`, `45 s`."""
    seconds = int(every.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes else "",
        f"{secs} s" if secs else "",
    ]
    return " ".join(p for p in parts if p) or "0 s"


def next_repeat(expected: datetime, every: timedelta, now: datetime) -> datetime:
    """The next due time of a repeating timer that fired for `expected`.

    Runs missed while the bot was down are coalesced: a late firing counts once, and the
    next one is a full interval after now rather than a burst of catch-up reminders.
    """
    following = expected + every
    return following if following > now else now + every


def update_due(last: datetime, every: timedelta | None, now: datetime) -> datetime | None:
    """When an update reminder is due: an interval after the last update, never in the past."""
    if every is None:
        return None
    return max(last + every, now)


def threshold_key(threshold: str, severity: str) -> str:
    """Thresholds are per severity, so each fires at most once for each severity."""
    return f"{threshold}:{severity}"


def plan_updates(
    cadence: Cadence, *, last_internal: datetime, last_customer: datetime, now: datetime
) -> dict[TimerKind, datetime | None]:
    """Due times of both update reminders; None stops one (no cadence at this severity)."""
    return {
        TimerKind.INTERNAL_UPDATE: update_due(last_internal, cadence.internal, now),
        TimerKind.CUSTOMER_UPDATE: update_due(last_customer, cadence.customer, now),
    }


def plan_thresholds(
    cadence: Cadence, *, declared_at: datetime, now: datetime
) -> dict[str, datetime]:
    """Escalation thresholds of this severity, measured from declaration; overdue ones fire now."""
    return {
        threshold_key(name, cadence.severity): max(declared_at + after, now)
        for name, after in cadence.thresholds
    }


def review_reminder_at(resolved_at: datetime, deadline: datetime) -> datetime:
    """A day ahead of a review's deadline, or halfway to it when that is sooner than a day
    after resolving (a 24-hour report is reminded at 12 hours)."""
    return max(resolved_at + (deadline - resolved_at) / 2, deadline - timedelta(days=1))


def retro_reminder_at(resolved_at: datetime, deadline: datetime) -> datetime:
    """Remind halfway to the retrospective deadline, so there is still time to book it."""
    return resolved_at + (deadline - resolved_at) / 2
