"""bot.domain.firings: what a due timer posts, decided from a snapshot of plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain.cadence import cadence_of
from bot.domain.firings import (
    RESPONSES,
    STOP,
    ChecklistRun,
    Context,
    DeadlineNudge,
    Escalation,
    Firing,
    RetroReminder,
    Snapshot,
    StepFacts,
    UpdateReminder,
    customer_hints,
    deadline_phase,
    decide,
    reminded,
)
from playbooks.business_calendar import BusinessCalendar, public_holidays
from playbooks.loader import load_pack

DEFAULT = load_pack("default")  # sev1..sev4, comms owner comms_lead, no escalation levels
FAST = load_pack(Path(__file__).parents[1] / "packs" / "fast.yml")  # two escalation levels
DEFCON = load_pack("defcon")  # no comms owner role

MON_0900 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
FRI_1700 = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # a Friday
WED_1000 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday


@dataclass(frozen=True)
class T:
    """A due timer (satisfies `TimerFacts`)."""

    kind: str
    key: str = ""
    due_at: datetime = MON_0900


@dataclass(frozen=True)
class Inc:
    """An incident (satisfies `IncidentFacts`)."""

    severity: str = "sev1"
    status: str = "investigating"
    commander_id: str = "U_ALICE"
    declared_at: datetime = MON_0900


def ctx(pack=DEFAULT, **kw) -> Context:
    return Context(pack=pack, **kw)


# --- checklists ----------------------------------------------------------------------------


def test_a_known_checklist_posts_and_moves_to_its_next_run():
    now = datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)
    firing = decide(T("checklist", "morning"), Snapshot(incident=None), now, ctx(FAST))
    assert firing == Firing(
        next_due=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        kind="checklist_posted",
        notice=ChecklistRun(checklist="morning", title="Morning checks"),
    )
    assert firing.data == {}


def test_a_checklist_id_is_looked_up_ignoring_case_and_spaces():
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    firing = decide(T("checklist", " Morning "), Snapshot(incident=None), now, ctx(FAST))
    assert firing.next_due == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # later today
    assert firing.notice == ChecklistRun(checklist="morning", title="Morning checks")


def test_a_checklist_runs_at_its_local_time_in_the_bot_time_zone():
    # 09:00 in Berlin is 08:00 UTC in winter; the night after, clocks go forward (29 March),
    # so the next 09:00 there is 07:00 UTC.
    now = datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    firing = decide(
        T("checklist", "morning"), Snapshot(incident=None), now, ctx(FAST, tz="Europe/Berlin")
    )
    assert firing.next_due == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert firing.next_due.tzinfo is UTC


def test_an_unknown_checklist_stops_its_timer_and_posts_nothing():
    firing = decide(T("checklist", "gone"), Snapshot(incident=None), MON_0900, ctx(FAST))
    assert firing == STOP
    assert (firing.next_due, firing.kind, firing.notice, firing.data) == (None, None, None, {})


def test_an_on_resolve_checklist_posts_but_has_no_next_run():
    firing = decide(T("checklist", "post-incident"), Snapshot(incident=None), MON_0900, ctx())
    assert firing == Firing(
        next_due=None,
        kind="checklist_posted",
        notice=ChecklistRun(checklist="post-incident", title="Before closing the incident"),
    )


def test_a_checklist_fires_whatever_the_snapshot_says():
    resolved = Snapshot(incident=Inc(status="resolved"))
    firing = decide(T("checklist", "morning"), resolved, MON_0900, ctx(FAST))
    assert firing.kind == "checklist_posted"


# --- incident gone, retrospective, resolved -----------------------------------------------


@pytest.mark.parametrize(
    "kind", ["internal_update", "customer_update", "escalation", "phase_deadline", "retro"]
)
def test_a_timer_whose_incident_is_gone_stops(kind):
    key = {"escalation": "respond_within:sev1", "phase_deadline": "generic:0"}.get(kind, "")
    if kind == "retro":
        key = "2026-03-05T10:00:00+00:00"
    assert decide(T(kind, key), Snapshot(incident=None), MON_0900, ctx()) == STOP


def test_an_unknown_timer_kind_is_an_error():
    with pytest.raises(ValueError, match="'nap'"):
        decide(T("nap"), Snapshot(incident=Inc()), MON_0900, ctx())


def test_the_retro_reminder_names_the_commander_and_the_deadline_once():
    snap = Snapshot(incident=Inc(status="resolved", commander_id="U_BOB"))
    timer = T("retro", "2026-03-05T10:00:00+00:00", due_at=datetime(2026, 3, 3, 22, 0, tzinfo=UTC))
    firing = decide(timer, snap, datetime(2026, 3, 3, 22, 0, 1, tzinfo=UTC), ctx())
    assert firing == Firing(
        next_due=None,
        kind="retro_reminder",
        notice=RetroReminder(commander="U_BOB", deadline=datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
    )
    assert firing.notice.deadline.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("internal_update", ""),
        ("customer_update", ""),
        ("escalation", "escalate_after:sev1"),
        ("escalation", "resolve_within:sev1"),
        ("phase_deadline", "generic:0"),
    ],
)
def test_a_resolved_incident_stops_every_clock_but_the_retro(kind, key):
    open_steps = {(0, 0): StepFacts("open")}
    snap = Snapshot(incident=Inc(status="resolved"), steps=open_steps, escalations_so_far=0)
    assert decide(T(kind, key), snap, MON_0900 + timedelta(hours=5), ctx()) == STOP


# --- update reminders ----------------------------------------------------------------------


def test_an_internal_reminder_names_the_commander_and_repeats_on_the_cadence():
    due = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    snap = Snapshot(incident=Inc(commander_id="U_ALICE"), holders={"comms_lead": ["U_CAROL"]})
    firing = decide(T("internal_update", due_at=due), snap, due + timedelta(seconds=1), ctx())
    assert firing == Firing(
        next_due=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        kind="reminder_sent",
        notice=UpdateReminder(audience="internal", every=timedelta(minutes=30), who="U_ALICE"),
        data={"audience": "internal", "mentioned": "U_ALICE"},
    )


def test_a_late_firing_is_coalesced_into_one_reminder_a_full_interval_after_now():
    due = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    now = datetime(2026, 3, 2, 10, 45, tzinfo=UTC)  # two runs missed while the bot was down
    firing = decide(T("internal_update", due_at=due), Snapshot(incident=Inc()), now, ctx())
    assert firing.next_due == datetime(2026, 3, 2, 11, 15, tzinfo=UTC)
    assert firing.kind == "reminder_sent"


def test_a_firing_exactly_one_interval_late_is_also_coalesced():
    due = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # the next run would be due right now
    firing = decide(T("internal_update", due_at=due), Snapshot(incident=Inc()), now, ctx())
    assert firing.next_due == datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


def test_a_customer_reminder_names_the_comms_owner_when_the_role_is_held():
    due = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    snap = Snapshot(
        incident=Inc(severity="sev2", commander_id="U_ALICE"),
        holders={"comms_lead": ["U_CAROL", "U_BOB"], "tech_lead": ["U_DAVE"]},
    )
    firing = decide(T("customer_update", due_at=due), snap, due, ctx())
    assert firing == Firing(
        next_due=datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
        kind="reminder_sent",
        notice=UpdateReminder(
            audience="customer",
            every=timedelta(hours=1),
            who="U_CAROL",
            hints=customer_hints(DEFAULT),
        ),
        data={"audience": "customer", "mentioned": "U_CAROL"},
    )


@pytest.mark.parametrize("holders", [{}, {"comms_lead": []}, {"tech_lead": ["U_DAVE"]}])
def test_a_customer_reminder_names_the_commander_when_nobody_owns_comms(holders):
    snap = Snapshot(incident=Inc(commander_id="U_ALICE"), holders=holders)
    firing = decide(T("customer_update"), snap, MON_0900, ctx())
    assert firing.notice == UpdateReminder(
        audience="customer", every=timedelta(hours=1), who="U_ALICE", hints=customer_hints(DEFAULT)
    )
    assert firing.data == {"audience": "customer", "mentioned": "U_ALICE"}


def test_a_pack_without_a_comms_owner_role_reminds_the_commander():
    snap = Snapshot(
        incident=Inc(severity="defcon1", commander_id="U_ALICE"),
        holders={"commander": ["U_BOB"], "": ["U_CAROL"]},
    )
    firing = decide(T("customer_update"), snap, MON_0900, ctx(DEFCON))
    assert firing.notice == UpdateReminder(
        audience="customer", every=timedelta(hours=1), who="U_ALICE", hints=customer_hints(DEFCON)
    )


def test_reminded_is_the_first_holder_of_the_owner_role_else_the_commander():
    incident = Inc(commander_id="U_ALICE")
    assert reminded(incident, {"comms_lead": ["U_CAROL", "U_BOB"]}, "comms_lead") == "U_CAROL"
    assert reminded(incident, {"comms_lead": []}, "comms_lead") == "U_ALICE"
    assert reminded(incident, {}, "comms_lead") == "U_ALICE"
    assert reminded(incident, {"": ["U_CAROL"]}, "") == "U_ALICE"


@pytest.mark.parametrize("severity", ["sev3", "sev4"])
def test_no_customer_cadence_at_this_severity_stops_the_customer_reminder(severity):
    snap = Snapshot(incident=Inc(severity=severity), holders={"comms_lead": ["U_CAROL"]})
    assert decide(T("customer_update"), snap, MON_0900, ctx()) == STOP
    # ... while the internal one keeps going.
    internal = decide(T("internal_update"), snap, MON_0900, ctx())
    assert internal.next_due == MON_0900 + timedelta(minutes=30)


def test_an_update_reminder_at_a_severity_gone_from_the_pack_stops():
    snap = Snapshot(incident=Inc(severity="sev9"))
    assert decide(T("internal_update"), snap, MON_0900, ctx()) == STOP
    assert decide(T("customer_update"), snap, MON_0900, ctx()) == STOP


def test_update_reminders_repeat_at_the_fast_packs_cadence():
    snap = Snapshot(incident=Inc(severity="sev1"))
    internal = decide(T("internal_update"), snap, MON_0900, ctx(FAST))
    customer = decide(T("customer_update"), snap, MON_0900, ctx(FAST))
    assert internal.next_due == MON_0900 + timedelta(seconds=2)
    assert customer.next_due == MON_0900 + timedelta(seconds=3)


# --- escalation ----------------------------------------------------------------------------


def test_any_action_a_person_takes_is_a_response():
    assert set(RESPONSES) == {
        "update_posted",
        "customer_update_posted",
        "status_changed",
        "severity_changed",
        "commander_changed",
        "role_assigned",
        "note_added",
        "step_completed",
        "step_skipped",
        "step_reopened",
        "step_assigned",
        "escalation_confirmed",
        "paged",
        "monitoring_started",
        "log_field_set",
    }
    # What the bot does by itself is not a response.
    assert not {"declared", "playbook_attached", "reminder_sent", "escalated"} & set(RESPONSES)


def test_no_response_within_is_called_off_by_a_response():
    snap = Snapshot(incident=Inc(), responded=True)
    assert decide(T("escalation", "respond_within:sev1"), snap, MON_0900, ctx()) == STOP


def test_no_response_within_escalates_when_nobody_responded():
    snap = Snapshot(incident=Inc(), responded=False)
    firing = decide(
        T("escalation", "respond_within:sev1"),
        snap,
        MON_0900 + timedelta(minutes=15),
        ctx(contacts={1: ["U_ONCALL"], 2: ["U_BOSS"]}),
    )
    # The default pack has no escalation levels: the level is the count, with no name.
    assert firing == Firing(
        next_due=None,
        kind="escalated",
        notice=Escalation(
            severity="SEV-1",
            reason="no response within 15 min",
            level=1,
            level_name=None,
            responsibilities=(),
            contacts=("U_ONCALL",),
        ),
        data={"threshold": "respond_within", "severity": "sev1", "level": 1},
    )


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("escalate_after:sev1", "still open after 30 min"),
        ("resolve_within:sev1", "not resolved within 4 h"),
        ("escalate_after:sev2", "still open after 1 h"),
        ("resolve_within:sev2", "not resolved within 24 h"),
    ],
)
def test_other_thresholds_escalate_even_after_a_response(key, reason):
    snap = Snapshot(incident=Inc(), responded=True, escalations_so_far=2)
    firing = decide(T("escalation", key), snap, MON_0900, ctx())
    assert firing.kind == "escalated"
    assert firing.notice.reason == reason
    assert firing.notice.level == 3  # no levels in the pack: one more than so far
    assert firing.notice.contacts == ()


def test_the_timer_key_names_the_severity_not_the_incidents_current_one():
    # Armed at SEV-2, fired after a change to SEV-1 was not yet replanned.
    snap = Snapshot(incident=Inc(severity="sev1"))
    firing = decide(T("escalation", "escalate_after:sev2"), snap, MON_0900, ctx())
    assert firing.notice.severity == "SEV-2"
    assert firing.notice.reason == "still open after 1 h"
    assert firing.data == {"threshold": "escalate_after", "severity": "sev2", "level": 1}


def test_a_missed_target_names_the_level_whose_criterion_claims_it_however_many_came_before():
    contacts = {1: ["U_EM"], 2: ["U_CTO", "S_EXEC"]}
    for so_far in (0, 1, 5):
        snap = Snapshot(incident=Inc(), escalations_so_far=so_far)
        firing = decide(
            T("escalation", "escalate_after:sev1"),
            snap,
            MON_0900 + timedelta(seconds=2),
            ctx(FAST, contacts=contacts),
        )
        assert firing == Firing(
            next_due=None,
            kind="escalated",
            notice=Escalation(
                severity="SEV-1",
                reason="still open after 2 s",
                level=1,
                level_name="Engineering Manager",
                responsibilities=("Bring more engineers", "Decide on rollback"),
                contacts=("U_EM",),
            ),
            data={"threshold": "escalate_after", "severity": "sev1", "level": 1},
        )


ESCROW = load_pack("escrow-pilot")
PROD = load_pack("prod-100k")


def _escalate(pack, key, severity, *, holders=None, contacts=None, responded=False):
    snap = Snapshot(incident=Inc(severity=severity), holders=holders or {}, responded=responded)
    return decide(T("escalation", key), snap, MON_0900, ctx(pack, contacts=contacts or {}))


def test_escrow_sev0_goes_to_the_on_call_engineer_at_once_and_again_at_15_minutes():
    # Seed 001: the operator's criteria ("SEV0 or SEV1", "cannot resolve within 15 minutes
    # (SEV0) or 1 hour (SEV1)") are what reach level 2, the On-Call Engineer.
    cadence = dict(
        cadence_of(ESCROW, "sev0", since=MON_0900, calendar=BusinessCalendar()).thresholds
    )
    assert cadence == {
        "respond_within": timedelta(minutes=15),
        "level-2.0": timedelta(0),
        "level-2.1": timedelta(minutes=15),
        "level-3.0": timedelta(0),  # "notify the pilot coordinator immediately"
    }
    holders = {"on_call_engineer": ["U_ENG"]}
    at_once = _escalate(ESCROW, "level-2.0:sev0", "sev0", holders=holders)
    later = _escalate(ESCROW, "level-2.1:sev0", "sev0", holders=holders)
    assert at_once.notice == Escalation(
        severity="SEV0",
        reason="SEV0 or SEV1 incidents reach this level at once",
        level=2,
        level_name="On-Call Engineer",
        responsibilities=(
            "Technical investigation",
            "Apply hotfixes",
            "System health checks",
            "Escalate if the fix requires core changes",
        ),
        contacts=("U_ENG",),  # whoever holds the level's role
    )
    assert (later.notice.level, later.notice.reason) == (
        2,
        "still open 15 min after declaration",
    )
    assert later.data == {"threshold": "level-2.1", "severity": "sev0", "level": 2}


def test_escrow_sev1_reaches_the_on_call_engineer_after_an_hour_and_sev2_never_by_clock():
    sev1 = dict(cadence_of(ESCROW, "sev1", since=MON_0900, calendar=BusinessCalendar()).thresholds)
    assert sev1["level-2.0"] == timedelta(0)
    assert sev1["level-2.2"] == timedelta(hours=1)
    assert "level-2.1" not in sev1  # the 15-minute criterion is SEV0's
    sev2 = dict(cadence_of(ESCROW, "sev2", since=MON_0900, calendar=BusinessCalendar()).thresholds)
    assert not [name for name in sev2 if name.startswith("level-")]
    # A SEV0-only criterion fired after a change to SEV1 no longer exists at SEV1.
    assert _escalate(ESCROW, "level-2.1:sev1", "sev1") == STOP


def test_configured_contacts_win_over_the_role_holders():
    firing = _escalate(
        ESCROW,
        "level-2.0:sev1",
        "sev1",
        holders={"on_call_engineer": ["U_ENG"]},
        contacts={2: ["S_ONCALL"]},
    )
    assert firing.notice.contacts == ("S_ONCALL",)


def test_a_missed_target_no_level_claims_is_posted_without_a_level():
    firing = _escalate(ESCROW, "respond_within:sev0", "sev0", contacts={1: ["U_OP"]})
    assert firing.notice == Escalation(
        severity="SEV0",
        reason="no response within 15 min",
        level=None,
        level_name=None,
        responsibilities=(),
        contacts=(),
    )


def test_prod_p0_pages_on_call_at_once_management_at_30_min_and_executives_at_1_h():
    # Seed 004: paged at once; PagerDuty escalates after 5 minutes; management within
    # 30 minutes of a P0; executives for an extended outage (past the 1 h target).
    cadence = dict(cadence_of(PROD, "p0", since=MON_0900, calendar=BusinessCalendar()).thresholds)
    assert cadence == {
        "respond_within": timedelta(minutes=5),
        "resolve_within": timedelta(hours=1),
        "level-1.0": timedelta(0),
        "level-2.0": timedelta(minutes=30),
    }
    names = {
        key: (firing.notice.level, firing.notice.level_name, firing.notice.reason)
        for key in cadence
        for firing in [_escalate(PROD, f"{key}:p0", "p0")]
    }
    assert names == {
        "level-1.0": (1, "Primary on-call team", "P0 or P1 incidents reach this level at once"),
        "respond_within": (1, "Primary on-call team", "no response within 5 min"),
        "level-2.0": (2, "Management", "still open 30 min after declaration"),
        "resolve_within": (3, "Executive", "not resolved within 1 h"),
    }
    assert _escalate(PROD, "respond_within:p0", "p0", responded=True) == STOP


def test_prod_p1_notifies_management_within_2_hours_and_p2_escalates_to_nobody():
    p1 = dict(cadence_of(PROD, "p1", since=MON_0900, calendar=BusinessCalendar()).thresholds)
    assert p1["level-2.1"] == timedelta(hours=2)
    firing = _escalate(PROD, "resolve_within:p2", "p2")
    assert (firing.notice.level, firing.notice.reason) == (None, "not resolved within 24 h")


def test_a_criterion_the_pack_no_longer_has_stops():
    assert _escalate(PROD, "level-9.0:p0", "p0") == STOP


def test_a_business_day_threshold_counts_from_the_declaration_over_the_weekend():
    # SEV-4 must be responded to within 1 business day: Friday 17:00 -> Monday 17:00.
    snap = Snapshot(incident=Inc(severity="sev4", declared_at=FRI_1700))
    firing = decide(
        T("escalation", "respond_within:sev4"),
        snap,
        datetime(2026, 3, 9, 17, 0, tzinfo=UTC),
        ctx(),
    )
    assert firing.notice.severity == "SEV-4"
    assert firing.notice.reason == "no response within 1 business day"


def test_a_business_days_threshold_declared_midweek_spans_the_weekend():
    # SEV-3 is resolved within 3 business days: Wednesday 10:00 -> Monday 10:00.
    snap = Snapshot(incident=Inc(severity="sev3", declared_at=WED_1000))
    firing = decide(T("escalation", "resolve_within:sev3"), snap, WED_1000, ctx())
    assert firing.notice.reason == "not resolved within 3 business days"


def test_a_business_day_threshold_is_counted_on_the_contexts_calendar():
    # Friday 17:00 UTC is Friday 13:00 in New York (EDT); Monday 25 May 2026 is Memorial
    # Day, so 1 business day is Tuesday 13:00 there (17:00 UTC).
    us = BusinessCalendar(tz=ZoneInfo("America/New_York"), holidays=public_holidays("US"))
    friday = datetime(2026, 5, 22, 17, 0, tzinfo=UTC)
    snap = Snapshot(incident=Inc(severity="sev4", declared_at=friday))
    firing = decide(T("escalation", "respond_within:sev4"), snap, friday, ctx(calendar=us))
    assert firing.notice.reason == "no response within 1 business day"
    targets = dict(cadence_of(DEFAULT, "sev4", since=friday, calendar=us).thresholds)
    assert targets["respond_within"] == datetime(2026, 5, 26, 17, 0, tzinfo=UTC) - friday


@pytest.mark.parametrize("key", ["escalate_after:sev9", "escalate_after:sev4"])
def test_an_escalation_for_a_threshold_the_pack_no_longer_has_stops(key):
    snap = Snapshot(incident=Inc())
    assert decide(T("escalation", key), snap, MON_0900, ctx()) == STOP


# --- phase deadlines -----------------------------------------------------------------------


def test_deadline_phase_reads_the_playbook_and_the_phase_index():
    assert deadline_phase(T("phase_deadline", "generic:1")) == ("generic", 1)
    assert deadline_phase(T("phase_deadline", "a:b:12")) == ("a:b", 12)
    assert deadline_phase(T("phase_deadline", "generic:x")) is None
    assert deadline_phase(T("phase_deadline", "generic")) is None
    assert deadline_phase(T("phase_deadline", "")) is None


def test_a_missed_deadline_lists_the_open_steps_with_their_owners():
    # generic / Mitigate: tech_lead step, comms_lead message, tech_lead check.
    due = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    snap = Snapshot(
        incident=Inc(commander_id="U_ALICE"),
        holders={"tech_lead": ["U_DAVE", "U_EVE"]},
        steps={
            (1, 0): StepFacts("open"),  # role tech_lead, held: its holder
            (1, 1): StepFacts("open"),  # role comms_lead, not held: nobody
            (1, 2): StepFacts("open", assignee="U_BOB"),  # assigned: the assignee
            (0, 0): StepFacts("open"),  # another phase: not listed
        },
    )
    firing = decide(T("phase_deadline", "generic:1", due_at=due), snap, due, ctx())
    assert firing == Firing(
        next_due=None,
        kind="deadline_missed",
        notice=DeadlineNudge(
            phase="Mitigate",
            due_at=due,
            open_steps=(
                (
                    "Stop the customer impact (roll back, switch off the feature, scale up)",
                    "U_DAVE",
                ),
                (
                    "We’re investigating an issue affecting some customers. We’ll post another "
                    "update within 60 minutes.",
                    None,
                ),
                ("Confirm the mitigation worked", "U_BOB"),
            ),
        ),
        data={"playbook": "generic", "phase": 1, "open": 3},
    )


def test_commander_steps_go_to_the_incidents_commander_and_done_steps_are_left_out():
    # generic / Triage: two commander steps and one comms_lead step.
    snap = Snapshot(
        incident=Inc(commander_id="U_ALICE"),
        holders={"commander": ["U_STALE"], "comms_lead": ["U_CAROL"]},
        steps={
            (0, 0): StepFacts("done", assignee="U_BOB"),
            (0, 1): StepFacts("open"),
            (0, 2): StepFacts("skipped"),
        },
    )
    firing = decide(T("phase_deadline", "generic:0"), snap, MON_0900, ctx())
    assert firing.notice.open_steps == (
        ("Assign the scribe, communications lead and technical lead", "U_ALICE"),
    )
    assert firing.data == {"playbook": "generic", "phase": 0, "open": 1}


def test_a_step_without_a_role_or_assignee_is_unassigned():
    # fast / quick / First moves: a step with no role, then a comms_lead step.
    snap = Snapshot(
        incident=Inc(),
        holders={"comms_lead": ["U_CAROL"]},
        steps={(0, 0): StepFacts("open"), (0, 1): StepFacts("open")},
    )
    firing = decide(T("phase_deadline", "quick:0"), snap, MON_0900, ctx(FAST))
    assert firing.notice == DeadlineNudge(
        phase="First moves",
        due_at=MON_0900,
        open_steps=(("Check the dashboards", None), ("Tell the customers", "U_CAROL")),
    )


def test_steps_without_a_recorded_state_are_not_listed():
    snap = Snapshot(incident=Inc(), steps={(0, 1): StepFacts("open")})
    firing = decide(T("phase_deadline", "quick:0"), snap, MON_0900, ctx(FAST))
    assert firing.notice.open_steps == (("Tell the customers", None),)
    assert firing.data["open"] == 1


@pytest.mark.parametrize(
    "steps",
    [
        {},
        {(0, 0): StepFacts("done"), (0, 1): StepFacts("skipped", assignee="U_BOB")},
        {(1, 0): StepFacts("open")},  # open, but in another phase
    ],
)
def test_no_open_steps_in_the_phase_means_no_nudge(steps):
    snap = Snapshot(incident=Inc(), steps=steps)
    assert decide(T("phase_deadline", "generic:0"), snap, MON_0900, ctx()) == STOP


@pytest.mark.parametrize("key", ["generic", "generic:x", "", "nope:0", "generic:3", "quick:0"])
def test_a_deadline_with_a_bad_key_stops(key):
    snap = Snapshot(incident=Inc(), steps={(0, 0): StepFacts("open"), (3, 0): StepFacts("open")})
    assert decide(T("phase_deadline", key), snap, MON_0900, ctx()) == STOP


def test_each_review_after_resolution_is_reminded_with_its_name_and_deadline():
    from bot.domain.firings import ReviewReminder, review_key
    from bot.domain.timers import review_reminder_at

    resolved = MON_0900
    names = [review.name for review in PROD.reviews]
    assert names == [
        "Complete the incident report",
        "Implement the preventive measures",
        "Review the effectiveness of the changes",
    ]
    deadline = resolved + timedelta(hours=24)
    # A 24-hour report is reminded halfway; a month-long one a day ahead.
    assert review_reminder_at(resolved, deadline) == resolved + timedelta(hours=12)
    month = resolved + timedelta(days=30)
    assert review_reminder_at(resolved, month) == resolved + timedelta(days=29)
    snap = Snapshot(incident=Inc(status="resolved"))
    firing = decide(T("review", review_key(0, deadline)), snap, MON_0900, ctx(PROD))
    assert firing == Firing(
        next_due=None,
        kind="review_reminder",
        notice=ReviewReminder(
            commander="U_ALICE", name="Complete the incident report", deadline=deadline
        ),
        data={"review": "Complete the incident report", "deadline": deadline.isoformat()},
    )
    # Reopened since: nothing; a review the pack no longer has: nothing.
    reopened = Snapshot(incident=Inc(status="investigating"))
    assert decide(T("review", review_key(0, deadline)), reopened, MON_0900, ctx(PROD)) == STOP
    assert decide(T("review", review_key(9, deadline)), snap, MON_0900, ctx(PROD)) == STOP


QUICKMELA = load_pack("quickmela")


def _monitor_step():
    """QuickMela's "Monitor for 5 minutes" step: (playbook, phase, step)."""
    for playbook in QUICKMELA.playbooks:
        for phase, stage in enumerate(playbook.phases):
            for index, step in enumerate(stage.steps):
                if step.monitor is not None:
                    return playbook.id, phase, index
    raise AssertionError("no monitoring step")


def test_a_monitoring_window_that_ends_with_the_step_open_asks_whoever_started_it():
    from bot.domain.firings import MonitorEnded, step_key

    playbook, phase, step = _monitor_step()
    timer = T("monitor", step_key(playbook, phase, step, "U_BOB"))
    open_ = Snapshot(incident=Inc(), steps={(phase, step): StepFacts("open")})
    firing = decide(timer, open_, MON_0900, ctx(QUICKMELA))
    assert firing == Firing(
        next_due=None,
        kind="monitoring_ended",
        notice=MonitorEnded(step="Monitor for 5 minutes", window=timedelta(minutes=5), who="U_BOB"),
        data={"playbook": playbook, "phase": phase, "step": step},
    )
    done = Snapshot(incident=Inc(), steps={(phase, step): StepFacts("done")})
    assert decide(timer, done, MON_0900, ctx(QUICKMELA)) == STOP


def test_a_step_deadline_nudges_its_assignee_else_its_role_holder_else_the_commander():
    from bot.domain.firings import StepDue, step_key

    playbook = FAST.playbook("quick")
    assert playbook is not None
    timer = T("step_deadline", step_key("quick", 0, 1), due_at=MON_0900)
    step = playbook.phases[0].steps[1]  # Tell the customers (comms lead), within 3 s

    def owner(**state):
        snap = Snapshot(
            incident=Inc(),
            holders={"comms_lead": ["U_CAROL"]},
            steps={(0, 1): StepFacts("open", **state)},
        )
        firing = decide(timer, snap, MON_0900, ctx(FAST))
        assert firing.kind == "step_overdue"
        assert firing.notice == StepDue(step=step.text, due_at=MON_0900, owner=firing.notice.owner)
        return firing.notice.owner

    assert owner(assignee="U_DAN") == "U_DAN"
    assert owner() == "U_CAROL"
    skipped = Snapshot(incident=Inc(), steps={(0, 1): StepFacts("skipped")})
    assert decide(timer, skipped, MON_0900, ctx(FAST)) == STOP


def test_a_customer_reminder_says_how_updates_should_sound_where_they_go_and_where_to_start():
    eshop = load_pack("eshop")
    hints = customer_hints(eshop)
    assert "Customers: Status page" in hints
    assert hints[-1] == f"Start from: {eshop.comms.template}"
    assert [h for h in customer_hints(DEFCON) if h.startswith("Guideline:")] == [
        "Guideline: Be transparent; do not hide the issue from users",
        "Guideline: Show a clear status banner, not a generic error",
    ]
    internal = decide(T("internal_update"), Snapshot(incident=Inc()), MON_0900, ctx())
    assert internal.notice.hints == ()
