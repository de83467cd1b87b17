"""bot.domain.timers: which clocks an incident runs and when each falls due."""

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.timers import (
    REPEATING,
    THRESHOLD_LABELS,
    THRESHOLDS,
    Cadence,
    TimerKind,
    next_repeat,
    plan_thresholds,
    plan_updates,
    retro_reminder_at,
    threshold_key,
    timer_id,
    update_due,
)

MON_0900 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
FRI_1700 = datetime(2026, 1, 9, 17, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
SEV1 = Cadence(
    severity="sev1",
    internal=timedelta(minutes=30),
    customer=timedelta(hours=1),
    thresholds=(
        ("respond_within", timedelta(minutes=15)),
        ("escalate_after", timedelta(hours=1)),
        ("resolve_within", timedelta(hours=4)),
    ),
)


# --- constants and names -------------------------------------------------------------------


def test_thresholds_are_the_three_targets_each_with_a_label():
    assert THRESHOLDS == ("respond_within", "escalate_after", "resolve_within")
    assert THRESHOLD_LABELS == {
        "respond_within": "no response within",
        "escalate_after": "still open after",
        "resolve_within": "not resolved within",
    }


def test_timer_kinds_are_the_stored_strings():
    assert {kind: kind.value for kind in TimerKind} == {
        TimerKind.INTERNAL_UPDATE: "internal_update",
        TimerKind.CUSTOMER_UPDATE: "customer_update",
        TimerKind.ESCALATION: "escalation",
        TimerKind.PHASE_DEADLINE: "phase_deadline",
        TimerKind.RETRO: "retro",
        TimerKind.REVIEW: "review",
        TimerKind.STEP_DEADLINE: "step_deadline",
        TimerKind.MONITOR: "monitor",
        TimerKind.CHECKLIST: "checklist",
        TimerKind.FOLLOW_UP: "follow_up",
        TimerKind.ARCHIVE_NOTICE: "archive_notice",
        TimerKind.ARCHIVE: "archive",
    }
    assert TimerKind("retro") is TimerKind.RETRO
    assert f"{TimerKind.ESCALATION}" == "escalation"


def test_update_reminders_and_checklists_repeat_the_rest_fire_once():
    assert REPEATING == {TimerKind.INTERNAL_UPDATE, TimerKind.CUSTOMER_UPDATE, TimerKind.CHECKLIST}
    assert set(TimerKind) - REPEATING == {
        TimerKind.ESCALATION,
        TimerKind.PHASE_DEADLINE,
        TimerKind.RETRO,
        TimerKind.REVIEW,
        TimerKind.STEP_DEADLINE,
        TimerKind.MONITOR,
        TimerKind.FOLLOW_UP,
        TimerKind.ARCHIVE_NOTICE,
        TimerKind.ARCHIVE,
    }


def test_timer_id_is_scope_kind_and_key():
    assert (
        timer_id("INC-2026-01-05-001", TimerKind.ESCALATION, "resolve_within:sev1")
        == "INC-2026-01-05-001:escalation:resolve_within:sev1"
    )
    assert timer_id("INC-2026-01-05-001", TimerKind.PHASE_DEADLINE, "refunds:0") == (
        "INC-2026-01-05-001:phase_deadline:refunds:0"
    )


def test_timer_id_without_a_key_ends_in_a_colon():
    assert timer_id("INC-7", TimerKind.INTERNAL_UPDATE) == "INC-7:internal_update:"
    assert timer_id("INC-7", TimerKind.RETRO) != timer_id("INC-7", TimerKind.CHECKLIST)


def test_threshold_key_is_per_severity():
    assert threshold_key("resolve_within", "sev1") == "resolve_within:sev1"
    assert threshold_key("resolve_within", "sev1") != threshold_key("resolve_within", "sev2")


def test_cadence_is_a_frozen_value_with_no_thresholds_by_default():
    cadence = Cadence(severity="sev3", internal=timedelta(hours=4), customer=None)
    assert cadence.thresholds == ()
    assert cadence == Cadence(severity="sev3", internal=timedelta(hours=4), customer=None)
    with pytest.raises(FrozenInstanceError):
        cadence.severity = "sev1"  # type: ignore[misc]


# --- update reminders ----------------------------------------------------------------------


def test_updates_fall_due_an_interval_after_the_last_one():
    planned = plan_updates(
        SEV1,
        last_internal=MON_0900,
        last_customer=MON_0900 + 10 * MIN,
        now=MON_0900 + 5 * MIN,
    )
    assert planned == {
        TimerKind.INTERNAL_UPDATE: datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        TimerKind.CUSTOMER_UPDATE: datetime(2026, 1, 5, 10, 10, tzinfo=UTC),
    }


def test_no_customer_cadence_stops_the_customer_reminder():
    cadence = Cadence(severity="sev3", internal=timedelta(hours=2), customer=None)
    planned = plan_updates(cadence, last_internal=MON_0900, last_customer=MON_0900, now=MON_0900)
    assert planned == {
        TimerKind.INTERNAL_UPDATE: datetime(2026, 1, 5, 11, 0, tzinfo=UTC),
        TimerKind.CUSTOMER_UPDATE: None,
    }


def test_no_cadence_at_all_stops_both_reminders():
    cadence = Cadence(severity="sev5", internal=None, customer=None)
    planned = plan_updates(cadence, last_internal=MON_0900, last_customer=MON_0900, now=MON_0900)
    assert planned == {TimerKind.INTERNAL_UPDATE: None, TimerKind.CUSTOMER_UPDATE: None}


def test_overdue_update_reminders_fall_due_now_not_in_the_past():
    now = datetime(2026, 1, 5, 13, 0, tzinfo=UTC)  # 4 h after the last updates
    planned = plan_updates(SEV1, last_internal=MON_0900, last_customer=MON_0900, now=now)
    assert planned == {TimerKind.INTERNAL_UPDATE: now, TimerKind.CUSTOMER_UPDATE: now}


def test_only_the_overdue_reminder_is_pulled_to_now():
    now = datetime(2026, 1, 5, 9, 45, tzinfo=UTC)
    planned = plan_updates(SEV1, last_internal=MON_0900, last_customer=MON_0900, now=now)
    assert planned == {
        TimerKind.INTERNAL_UPDATE: now,  # 09:30 passed
        TimerKind.CUSTOMER_UPDATE: datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
    }


def test_update_due_exactly_now_is_now():
    now = MON_0900 + timedelta(minutes=30)
    assert update_due(MON_0900, timedelta(minutes=30), now) == now


def test_update_due_without_an_interval_is_none():
    assert update_due(MON_0900, None, MON_0900) is None


# --- repeating timers ----------------------------------------------------------------------


def test_a_repeat_on_time_moves_one_interval_on():
    every = timedelta(minutes=30)
    assert next_repeat(MON_0900, every, MON_0900) == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def test_a_repeat_fired_a_little_late_keeps_its_schedule():
    every = timedelta(minutes=30)
    now = MON_0900 + 20 * MIN
    assert next_repeat(MON_0900, every, now) == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def test_missed_repeats_are_coalesced_into_one_a_full_interval_after_now():
    every = timedelta(minutes=30)
    now = datetime(2026, 1, 5, 12, 10, tzinfo=UTC)  # bot was down for six intervals
    assert next_repeat(MON_0900, every, now) == datetime(2026, 1, 5, 12, 40, tzinfo=UTC)


def test_a_repeat_whose_next_slot_is_exactly_now_moves_a_full_interval_after_now():
    every = timedelta(minutes=30)
    now = MON_0900 + every
    assert next_repeat(MON_0900, every, now) == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


# --- escalation thresholds -----------------------------------------------------------------


def test_thresholds_are_measured_from_the_declaration():
    now = MON_0900 + 2 * MIN
    assert plan_thresholds(SEV1, declared_at=MON_0900, now=now) == {
        "respond_within:sev1": datetime(2026, 1, 5, 9, 15, tzinfo=UTC),
        "escalate_after:sev1": datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
        "resolve_within:sev1": datetime(2026, 1, 5, 13, 0, tzinfo=UTC),
    }


def test_thresholds_already_passed_fire_now():
    # Replanned after a severity change 90 minutes in: two targets are already missed.
    now = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
    assert plan_thresholds(SEV1, declared_at=MON_0900, now=now) == {
        "respond_within:sev1": now,
        "escalate_after:sev1": now,
        "resolve_within:sev1": datetime(2026, 1, 5, 13, 0, tzinfo=UTC),
    }


def test_a_threshold_reached_exactly_now_is_due_now():
    now = MON_0900 + timedelta(minutes=15)
    planned = plan_thresholds(SEV1, declared_at=MON_0900, now=now)
    assert planned["respond_within:sev1"] == now


def test_a_severity_without_thresholds_plans_none():
    cadence = Cadence(severity="sev4", internal=timedelta(hours=8), customer=None)
    assert plan_thresholds(cadence, declared_at=MON_0900, now=MON_0900) == {}


def test_each_severity_gets_its_own_threshold_keys():
    sev2 = Cadence(
        severity="sev2",
        internal=timedelta(hours=1),
        customer=None,
        thresholds=(("resolve_within", timedelta(hours=8)),),
    )
    assert plan_thresholds(sev2, declared_at=MON_0900, now=MON_0900) == {
        "resolve_within:sev2": datetime(2026, 1, 5, 17, 0, tzinfo=UTC)
    }


def test_a_business_day_threshold_arrives_as_the_span_computed_at_declaration():
    # "respond within 1 business day" declared on a Friday evening is Monday evening:
    # the caller turns it into a 3-day span, and the plan adds it to the declaration.
    cadence = Cadence(
        severity="sev4",
        internal=timedelta(days=1),
        customer=None,
        thresholds=(("respond_within", timedelta(days=3)),),
    )
    assert plan_thresholds(cadence, declared_at=FRI_1700, now=FRI_1700 + MIN) == {
        "respond_within:sev4": datetime(2026, 1, 12, 17, 0, tzinfo=UTC)
    }


# --- retrospective and escalation levels ---------------------------------------------------


def test_retro_reminder_is_halfway_to_the_deadline():
    deadline = MON_0900 + timedelta(days=5)
    assert retro_reminder_at(MON_0900, deadline) == datetime(2026, 1, 7, 21, 0, tzinfo=UTC)


def test_retro_reminder_halfway_is_calendar_time_even_across_a_weekend():
    # Resolved Friday 17:00 with "3 business days" (Wednesday 17:00) to hold the retro.
    deadline = datetime(2026, 1, 14, 17, 0, tzinfo=UTC)
    assert retro_reminder_at(FRI_1700, deadline) == datetime(2026, 1, 12, 5, 0, tzinfo=UTC)


def test_retro_reminder_with_no_time_left_is_at_the_deadline():
    assert retro_reminder_at(MON_0900, MON_0900) == MON_0900
