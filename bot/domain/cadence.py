"""A severity's clocks and a checklist's schedule, read from the pack. Pure; `now` passed in."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import escalation
from bot.domain.timers import THRESHOLDS, Cadence
from playbooks.model import Checklist, Pack


def cadence_of(pack: Pack, severity: str, *, since: datetime | None = None) -> Cadence:
    """The update intervals and thresholds of a severity in the pack.

    Thresholds in business days (e.g. "respond within 1 business day") need the time they
    count from, `since` (the declaration); without it they are left out. The escalation
    criteria a clock decides at this severity come after the targets (`level-2.0`…).
    """
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
            thresholds.append((name, duration.add_to(since) - since))
    thresholds.extend(escalation.timed(pack, found.id))
    return Cadence(
        severity=found.id,
        internal=found.updates.internal.as_timedelta(),
        customer=found.updates.customer.as_timedelta() if found.updates.customer else None,
        thresholds=tuple(thresholds),
    )


def next_checklist_run(checklist: Checklist, now: datetime, tz: str) -> datetime | None:
    """The next time a scheduled checklist is due, in UTC."""
    local = now.astimezone(ZoneInfo(tz))
    run = checklist.schedule.next_run(local)
    return run.astimezone(now.tzinfo) if run else None
