"""`/incident stats` from plain records: exact medians, p90 and cadence kept."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.stats import (
    IncidentRecord,
    expected_reminders,
    median,
    p90,
    parse_days,
    summarize,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def record(severity, respond, resolve, fired=0, expected=0):
    return IncidentRecord(
        severity=severity,
        declared_at=T0,
        first_response_at=T0 + respond * MIN if respond is not None else None,
        resolved_at=T0 + resolve * MIN if resolve is not None else None,
        reminders_fired=fired,
        reminders_expected=expected,
    )


def test_a_seeded_history_per_severity_in_the_packs_order():
    # Ten sev2s responded in 1..10 min, resolved in 10..100 min; 3 of 20 reminders fired.
    sev2 = [
        record("sev2", n, 10 * n, fired=n % 2 if n < 7 else 0, expected=2) for n in range(1, 11)
    ]
    # Three sev1s: one never responded to, one still open.
    sev1 = [
        record("sev1", 4, 60, 1, 4),
        record("sev1", None, 30, 0, 2),
        record("sev1", 2, None, 1, 2),
    ]
    rows = summarize([*sev2, *sev1], ["sev1", "sev2", "sev3"])
    assert [(r.severity, r.incidents) for r in rows] == [("sev1", 3), ("sev2", 10)]
    one, two = rows
    assert (one.response_median, one.response_p90) == (3 * MIN, 4 * MIN)
    assert (one.resolution_median, one.resolution_p90) == (45 * MIN, 60 * MIN)
    assert one.cadence_kept == 0.75  # 2 of 8 fired
    assert (two.response_median, two.response_p90) == (5.5 * MIN, 9 * MIN)
    assert (two.resolution_median, two.resolution_p90) == (55 * MIN, 90 * MIN)
    assert two.cadence_kept == 1 - 3 / 20


def test_nothing_to_measure_is_none():
    [row] = summarize([record("sev3", None, None)], ["sev1"])
    assert (row.response_median, row.response_p90, row.resolution_p90, row.cadence_kept) == (
        None,
        None,
        None,
        None,
    )
    assert median([]) is None and p90([]) is None
    assert p90([MIN]) == MIN


def test_expected_reminders_per_audience_with_a_cadence():
    hours = timedelta(hours=2, minutes=10)
    assert expected_reminders(hours, (30 * MIN, 60 * MIN)) == 4 + 2
    assert expected_reminders(hours, (30 * MIN, None)) == 4
    assert expected_reminders(hours, (None, None)) == 0


def test_days_default_to_thirty_and_must_be_a_number():
    assert (parse_days(""), parse_days(" 90 ")) == (30, 90)
    for bad in ("0", "-3", "ten", "99999"):
        with pytest.raises(ValueError, match="/incident stats"):
            parse_days(bad)
