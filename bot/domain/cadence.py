"""A severity's clocks and a checklist's schedule, read from the pack. Pure; `now` passed in."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import escalation
from bot.domain.timers import THRESHOLDS, Cadence
from playbooks.business_calendar import BusinessCalendar
from playbooks.model import Checklist, Pack


def cadence_of(
    pack: Pack,
    severity: str,
    *,
    since: datetime | None = None,
    calendar: BusinessCalendar | None = None,
) -> Cadence:
    """The update intervals and thresholds of a severity in the pack.

    Thresholds in business days or hours (e.g. "respond within 4 business hours") need the
    time they count from, `since` (the declaration), and the business `calendar` to count
    on; without `since` they are left out, and `since` without a calendar is an error.
    The escalation criteria a clock decides at this severity come after the targets
    (`level-2.0`…).
    """
    if since is not None and calendar is None:
        raise TypeError("cadence_of: `since` needs the business calendar to count on")
    found = pack.severity(severity)
    if found is None:
        return Cadence(severity=severity, internal=None, customer=None)
    thresholds = []
    for name in THRESHOLDS:
        duration = getattr(found, name)
        if duration is None:
            continue
        if not duration.is_business:
            thresholds.append((name, duration.as_timedelta()))
        elif since is not None:
            thresholds.append((name, duration.add_to(since, calendar) - since))
    thresholds.extend(escalation.timed(pack, found.id))
    return Cadence(
        severity=found.id,
        internal=found.updates.internal.as_timedelta() if found.updates.internal else None,
        customer=found.updates.customer.as_timedelta() if found.updates.customer else None,
        thresholds=tuple(thresholds),
    )


def next_checklist_run(checklist: Checklist, now: datetime, tz: str) -> datetime | None:
    """The next time a scheduled checklist is due, in UTC."""
    local = now.astimezone(ZoneInfo(tz))
    run = checklist.schedule.next_run(local)
    return run.astimezone(now.tzinfo) if run else None
