"""`/incident stats`: how incidents went, per severity, from plain records. Pure.

Times are measured from declaration: to the first response (the first of
`firings.RESPONSES` a person made) and to resolution. The update cadence kept is the share
of update reminders that did not need to fire: an incident open for 2 h with a 30 min
internal cadence would have had 4 reminders had nobody posted an update; 1 fired, so 75 %
of the cadence was kept.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_DAYS = 30
MAX_DAYS = 3660
USAGE = "`/incident stats [days]`, e.g. `/incident stats 90` (30 days without a number)"


@dataclass(frozen=True)
class IncidentRecord:
    """One incident as the statistics see it."""

    severity: str
    declared_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    reminders_fired: int
    reminders_expected: int


@dataclass(frozen=True)
class SeverityStats:
    """The statistics of one severity (None where there is nothing to measure)."""

    severity: str
    incidents: int
    response_median: timedelta | None
    response_p90: timedelta | None
    resolution_median: timedelta | None
    resolution_p90: timedelta | None
    cadence_kept: float | None  # 0.0 … 1.0


def parse_days(rest: str) -> int:
    """The `[days]` of `/incident stats`; ValueError with the usage when it is not one."""
    text = rest.strip()
    if not text:
        return DEFAULT_DAYS
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise ValueError(f"Give a number of days from 1 to {MAX_DAYS}: {USAGE}.")
    return int(text)


def expected_reminders(open_for: timedelta, intervals: Iterable[timedelta | None]) -> int:
    """How many update reminders an incident open this long would get with no update at all."""
    return sum(open_for // every for every in intervals if every)


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The median (the mean of the two middle values for an even count)."""
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def p90(values: Sequence[timedelta]) -> timedelta | None:
    """The 90th percentile by nearest rank: the smallest value at least 90 % are at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def summarize(records: Iterable[IncidentRecord], order: Sequence[str]) -> list[SeverityStats]:
    """Per severity, in the pack's `order` (others after, by name); only those with incidents."""
    groups: dict[str, list[IncidentRecord]] = {}
    for record in records:
        groups.setdefault(record.severity, []).append(record)
    rank = {severity: index for index, severity in enumerate(order)}
    ordered = sorted(groups, key=lambda s: (rank.get(s, len(rank)), s))
    return [_one(severity, groups[severity]) for severity in ordered]


def _one(severity: str, records: list[IncidentRecord]) -> SeverityStats:
    responses = [r.first_response_at - r.declared_at for r in records if r.first_response_at]
    resolutions = [r.resolved_at - r.declared_at for r in records if r.resolved_at]
    expected = sum(r.reminders_expected for r in records)
    fired = sum(r.reminders_fired for r in records)
    kept = max(0.0, 1 - fired / expected) if expected else None
    return SeverityStats(
        severity=severity,
        incidents=len(records),
        response_median=median(responses),
        response_p90=p90(responses),
        resolution_median=median(resolutions),
        resolution_p90=p90(resolutions),
        cadence_kept=kept,
    )
