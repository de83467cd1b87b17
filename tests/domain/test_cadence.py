"""bot.domain.cadence: a severity's clocks and a checklist's next run, read from the pack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain.cadence import cadence_of, next_checklist_run
from bot.domain.timers import Cadence, plan_thresholds
from playbooks.business_calendar import BusinessCalendar, public_holidays
from playbooks.loader import load_pack
from playbooks.model import Checklist

DEFAULT = load_pack("default")
FAST = load_pack(Path(__file__).parents[1] / "packs" / "fast.yml")
DEFCON = load_pack("defcon")
ESCROW = load_pack("escrow-pilot")
WEEKDAYS = BusinessCalendar()  # the default: UTC, 09:00-17:00, no holidays

H = timedelta(hours=1)
M = timedelta(minutes=1)
MON_0900 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WED_1000 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
FRI_1700 = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
SAT_1200 = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)


def checklist(schedule: str) -> Checklist:
    return Checklist.model_validate(
        {"id": "standup", "title": "Stand-up", "schedule": schedule, "items": ["Look"]}
    )


# --- cadence_of ----------------------------------------------------------------------------


def test_elapsed_time_thresholds_in_threshold_order():
    assert cadence_of(DEFAULT, "sev1") == Cadence(
        severity="sev1",
        internal=30 * M,
        customer=60 * M,
        thresholds=(
            ("respond_within", 15 * M),
            ("escalate_after", 30 * M),
            ("resolve_within", 4 * H),
        ),
    )
    assert cadence_of(DEFAULT, "sev2") == Cadence(
        severity="sev2",
        internal=30 * M,
        customer=60 * M,
        thresholds=(("respond_within", 30 * M), ("escalate_after", H), ("resolve_within", 24 * H)),
    )


def test_since_does_not_change_elapsed_time_thresholds():
    assert cadence_of(DEFAULT, "sev1", since=FRI_1700, calendar=WEEKDAYS) == cadence_of(
        DEFAULT, "sev1"
    )


def test_a_severity_with_only_some_thresholds_and_seconds():
    assert cadence_of(FAST, "sev1") == Cadence(
        severity="sev1",
        internal=timedelta(seconds=2),
        customer=timedelta(seconds=3),
        thresholds=(("escalate_after", timedelta(seconds=2)),),
    )
    assert cadence_of(FAST, "sev2") == Cadence(
        severity="sev2", internal=timedelta(seconds=3), customer=None, thresholds=()
    )


def test_a_severity_without_thresholds():
    # Seed 002: Defcon 3 waits for the next scheduled hotfix, so no update reminders.
    assert cadence_of(DEFCON, "defcon3") == Cadence(
        severity="defcon3", internal=None, customer=None, thresholds=()
    )


def test_business_day_thresholds_are_left_out_without_since():
    # sev3: respond within 4h, resolve within 3 business days.
    assert cadence_of(DEFAULT, "sev3") == Cadence(
        severity="sev3", internal=30 * M, customer=None, thresholds=(("respond_within", 4 * H),)
    )
    # sev4: respond within 1 business day, nothing else.
    assert cadence_of(DEFAULT, "sev4") == Cadence(
        severity="sev4", internal=30 * M, customer=None, thresholds=()
    )


@pytest.mark.parametrize(
    ("since", "after"),
    [
        (MON_0900, timedelta(days=3)),  # Mon -> Thu
        (WED_1000, timedelta(days=5)),  # Wed -> Mon, over the weekend
        (FRI_1700, timedelta(days=5)),  # Fri -> Wed
        (SAT_1200, timedelta(days=4)),  # Sat -> Wed (Mon, Tue, Wed)
    ],
)
def test_business_days_count_from_since_skipping_weekends(since, after):
    assert cadence_of(DEFAULT, "sev3", since=since, calendar=WEEKDAYS) == Cadence(
        severity="sev3",
        internal=30 * M,
        customer=None,
        thresholds=(("respond_within", 4 * H), ("resolve_within", after)),
    )


@pytest.mark.parametrize(
    ("since", "after"),
    [
        (MON_0900, timedelta(days=1)),
        (FRI_1700, timedelta(days=3)),  # Friday 17:00 -> Monday 17:00
        (SAT_1200, timedelta(days=2)),  # Saturday -> Monday
        (datetime(2026, 3, 8, 23, 59, tzinfo=UTC), timedelta(days=1)),  # Sunday -> Monday
    ],
)
def test_one_business_day(since, after):
    assert cadence_of(DEFAULT, "sev4", since=since, calendar=WEEKDAYS).thresholds == (
        ("respond_within", after),
    )


@pytest.mark.parametrize("name", ["Critical", "SEV-1", "sev1", "1", "critical"])
def test_a_severity_is_found_by_name_or_alias_and_reported_by_id(name):
    assert cadence_of(DEFAULT, name) == cadence_of(DEFAULT, "sev1")
    assert cadence_of(DEFAULT, name).severity == "sev1"


@pytest.mark.parametrize("name", ["sev9", "", "urgent"])
def test_an_unknown_severity_has_no_clocks(name):
    assert cadence_of(DEFAULT, name) == Cadence(severity=name, internal=None, customer=None)
    assert cadence_of(DEFAULT, name, since=FRI_1700, calendar=WEEKDAYS).thresholds == ()


def test_since_without_a_calendar_is_an_error():
    with pytest.raises(TypeError, match="needs the business calendar"):
        cadence_of(DEFAULT, "sev4", since=FRI_1700)


def test_business_days_are_counted_on_the_calendar_with_its_holidays():
    # Wednesday 25 November 2026, 10:00 in New York; Thursday is Thanksgiving.
    us = BusinessCalendar(tz=ZoneInfo("America/New_York"), holidays=public_holidays("US"))
    wednesday = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    thresholds = dict(cadence_of(DEFAULT, "sev4", since=wednesday, calendar=us).thresholds)
    assert thresholds["respond_within"] == timedelta(days=2)  # Friday 10:00, not Thursday


# --- escrow SEV2: "< 4 hours (business hours)" ----------------------------------------------

LONDON_OFFICE = BusinessCalendar(tz=ZoneInfo("Europe/London"))


@pytest.mark.parametrize(
    ("declared", "due"),
    [
        # Tuesday 10:00 UTC in London (GMT): 14:00 the same day.
        (datetime(2026, 3, 3, 10, 0, tzinfo=UTC), datetime(2026, 3, 3, 14, 0, tzinfo=UTC)),
        # Tuesday 20:00: counting starts at Wednesday's opening.
        (datetime(2026, 3, 3, 20, 0, tzinfo=UTC), datetime(2026, 3, 4, 13, 0, tzinfo=UTC)),
        # Friday 16:00 GMT: one hour on Friday, three on Monday, which is 12:00 BST after the
        # clocks went forward (11:00 UTC).
        (datetime(2026, 3, 27, 16, 0, tzinfo=UTC), datetime(2026, 3, 30, 11, 0, tzinfo=UTC)),
        # Saturday: Monday 13:00 BST.
        (datetime(2026, 4, 11, 12, 0, tzinfo=UTC), datetime(2026, 4, 13, 12, 0, tzinfo=UTC)),
    ],
)
def test_escrow_sev2_response_target_is_four_business_hours(declared, due):
    cadence = cadence_of(ESCROW, "sev2", since=declared, calendar=LONDON_OFFICE)
    assert dict(cadence.thresholds) == {"respond_within": due - declared}
    timers = plan_thresholds(cadence, declared_at=declared, now=declared)
    assert timers == {"respond_within:sev2": due}


def test_escrow_sev2_response_target_waits_for_the_holidays():
    # Thursday 24 December 2026, 16:00 in London; Christmas Day (Friday) and Boxing Day
    # (observed Monday 28) are holidays: one hour on Thursday, three on Tuesday 29.
    gb = BusinessCalendar(tz=ZoneInfo("Europe/London"), holidays=public_holidays("GB"))
    declared = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)
    cadence = cadence_of(ESCROW, "sev2", since=declared, calendar=gb)
    timers = plan_thresholds(cadence, declared_at=declared, now=declared)
    assert timers == {"respond_within:sev2": datetime(2026, 12, 29, 12, 0, tzinfo=UTC)}


def test_escrow_sev2_without_since_has_no_response_target():
    assert cadence_of(ESCROW, "sev2").thresholds == ()


# --- next_checklist_run --------------------------------------------------------------------


def test_a_daily_checklist_runs_later_today_or_tomorrow_in_utc():
    morning = FAST.checklist("morning")
    assert next_checklist_run(morning, datetime(2026, 3, 2, 8, 59, tzinfo=UTC), "UTC") == (
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    )
    # Strictly after: at 09:00 exactly, the next run is tomorrow's.
    assert next_checklist_run(morning, MON_0900, "UTC") == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def test_a_daily_checklist_keeps_its_local_time_across_the_spring_dst_change():
    morning = FAST.checklist("morning")  # daily 09:00
    # Saturday 28 March 2026, 09:00 CET (08:00 UTC) has just run; clocks go forward that night.
    sat = datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    run = next_checklist_run(morning, sat, "Europe/Berlin")
    assert run == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert run.tzinfo is UTC
    # Earlier that Saturday, the run is still that day's 09:00 CET.
    early = datetime(2026, 3, 28, 6, 0, tzinfo=UTC)
    assert next_checklist_run(morning, early, "Europe/Berlin") == datetime(
        2026, 3, 28, 8, 0, tzinfo=UTC
    )


def test_a_daily_checklist_keeps_its_local_time_across_the_autumn_dst_change():
    morning = FAST.checklist("morning")
    sat = datetime(2026, 10, 24, 7, 0, tzinfo=UTC)  # 09:00 CEST has just run
    assert next_checklist_run(morning, sat, "Europe/Berlin") == datetime(
        2026, 10, 25, 8, 0, tzinfo=UTC
    )  # 09:00 CET


def test_the_local_day_decides_when_it_differs_from_the_utc_day():
    morning = FAST.checklist("morning")
    # 23:30 UTC on Monday is already 08:30 on Tuesday in Tokyo: the run is 09:00 there.
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert next_checklist_run(morning, late, "Asia/Tokyo") == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)


def test_a_weekdays_checklist_on_friday_evening_runs_on_monday():
    standup = checklist("weekdays 09:00")
    assert next_checklist_run(standup, datetime(2026, 3, 6, 18, 0, tzinfo=UTC), "UTC") == (
        datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    )
    # In Berlin, Friday 18:00 UTC is 19:00 local; Monday 09:00 CET is 08:00 UTC.
    assert next_checklist_run(
        standup, datetime(2026, 3, 6, 18, 0, tzinfo=UTC), "Europe/Berlin"
    ) == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def test_a_weekdays_checklist_across_the_weekend_of_the_dst_change():
    standup = checklist("weekdays 09:00")
    # Friday 27 March 2026, 19:00 CET; the next weekday run is Monday 30 March, 09:00 CEST.
    friday = datetime(2026, 3, 27, 18, 0, tzinfo=UTC)
    assert next_checklist_run(standup, friday, "Europe/Berlin") == datetime(
        2026, 3, 30, 7, 0, tzinfo=UTC
    )


def test_a_weekdays_checklist_during_the_week_runs_the_next_morning():
    standup = checklist("weekdays 09:00")
    assert next_checklist_run(standup, datetime(2026, 3, 3, 10, 0, tzinfo=UTC), "UTC") == (
        datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    )
    # On Saturday morning, before 09:00: still Monday.
    assert next_checklist_run(standup, datetime(2026, 3, 7, 8, 0, tzinfo=UTC), "UTC") == (
        datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    )


def test_an_on_resolve_checklist_has_no_next_run():
    post = DEFAULT.checklist("post-incident")
    assert next_checklist_run(post, MON_0900, "Europe/Berlin") is None


def test_a_level_without_an_internal_cadence_gets_no_update_reminders():
    from bot.domain.timers import plan_updates

    quickmela = load_pack("quickmela")
    cadence = cadence_of(quickmela, "sev4")
    assert (cadence.internal, cadence.customer) == (None, None)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    planned = plan_updates(cadence, last_internal=now, last_customer=now, now=now)
    assert set(planned.values()) == {None}
