"""PACK_TIME_SCALE: elapsed-time durations divided, calendar ones kept."""

from datetime import timedelta

import pytest

from playbooks.durations import Duration
from playbooks.loader import load_pack
from playbooks.time_scale import scale_duration, scale_pack


def test_elapsed_time_is_divided_and_never_below_a_second():
    assert scale_duration(Duration(seconds=900), 60) == Duration(seconds=15)
    assert scale_duration(Duration(seconds=90), 60) == Duration(seconds=2)  # 1.5 s rounds
    assert scale_duration(Duration(seconds=30), 60) == Duration(seconds=1)
    assert scale_duration(Duration(seconds=900), 1) == Duration(seconds=900)


def test_business_days_follow_the_calendar():
    assert scale_duration(Duration(business_days=2), 60) == Duration(business_days=2)


def test_business_hours_follow_the_calendar():
    assert scale_duration(Duration(business_hours=4), 60) == Duration(business_hours=4)
    # Escrow's SEV2 "< 4 hours (business hours)" stays 4 business hours at any scale.
    fast = scale_pack(load_pack("escrow-pilot"), 60)
    assert fast.severity("sev2").respond_within == Duration(business_hours=4)


def test_every_duration_of_a_pack_is_scaled():
    pack = load_pack("escrow-pilot")
    fast = scale_pack(pack, 60)
    sev0, fast_sev0 = pack.severity("sev0"), fast.severity("sev0")
    assert fast_sev0.respond_within.as_timedelta() == timedelta(seconds=15)
    assert fast.escalation[1].criteria[1].after.as_timedelta() == timedelta(seconds=15)
    assert fast_sev0.updates.internal.as_timedelta() == sev0.updates.internal.as_timedelta() / 60
    # Everything else is the same pack.
    assert fast.id == pack.id and [s.id for s in fast.severities] == [s.id for s in pack.severities]


def test_phase_deadlines_and_calendar_schedules():
    pack = load_pack("prod-100k")
    fast = scale_pack(pack, 60)
    scaled = 0
    for playbook, fast_playbook in zip(pack.playbooks, fast.playbooks, strict=True):
        for phase, fast_phase in zip(playbook.phases, fast_playbook.phases, strict=True):
            if phase.within is not None and not phase.within.is_business:
                assert fast_phase.within.as_timedelta() == phase.within.as_timedelta() / 60
                scaled += 1
    assert scaled > 0
    assert [c.schedule for c in fast.checklists] == [c.schedule for c in pack.checklists]


def test_a_scale_of_one_is_the_same_pack_and_zero_is_refused():
    pack = load_pack("default")
    assert scale_pack(pack, 1) is pack
    with pytest.raises(ValueError, match="above 0"):
        scale_pack(pack, 0)


def test_alert_rule_windows_are_left_to_the_monitoring():
    pack = load_pack("prod-100k")
    assert scale_pack(pack, 60).alert_rules == pack.alert_rules
