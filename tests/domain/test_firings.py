"""bot.domain.firings: what a due timer posts, decided from a snapshot of plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

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
        notice=UpdateReminder(audience="customer", every=timedelta(hours=1), who="U_CAROL"),
        data={"audience": "customer", "mentioned": "U_CAROL"},
    )


@pytest.mark.parametrize("holders", [{}, {"comms_lead": []}, {"tech_lead": ["U_DAVE"]}])
def test_a_customer_reminder_names_the_commander_when_nobody_owns_comms(holders):
    snap = Snapshot(incident=Inc(commander_id="U_ALICE"), holders=holders)
    firing = decide(T("customer_update"), snap, MON_0900, ctx())
    assert firing.notice == UpdateReminder(
        audience="customer", every=timedelta(hours=1), who="U_ALICE"
    )
    assert firing.data == {"audience": "customer", "mentioned": "U_ALICE"}


def test_a_pack_without_a_comms_owner_role_reminds_the_commander():
    snap = Snapshot(
        incident=Inc(severity="defcon1", commander_id="U_ALICE"),
        holders={"commander": ["U_BOB"], "": ["U_CAROL"]},
    )
    firing = decide(T("customer_update"), snap, MON_0900, ctx(DEFCON))
    assert firing.notice == UpdateReminder(
        audience="customer", every=timedelta(hours=1), who="U_ALICE"
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
            reason="no response within",
            after=timedelta(minutes=15),
            level=1,
            level_name=None,
            responsibilities=(),
            contacts=("U_ONCALL",),
        ),
        data={"threshold": "respond_within", "severity": "sev1", "level": 1},
    )


@pytest.mark.parametrize(
    ("key", "reason", "after"),
    [
        ("escalate_after:sev1", "still open after", timedelta(minutes=30)),
        ("resolve_within:sev1", "not resolved within", timedelta(hours=4)),
        ("escalate_after:sev2", "still open after", timedelta(hours=1)),
        ("resolve_within:sev2", "not resolved within", timedelta(days=1)),
    ],
)
def test_other_thresholds_escalate_even_after_a_response(key, reason, after):
    snap = Snapshot(incident=Inc(), responded=True, escalations_so_far=2)
    firing = decide(T("escalation", key), snap, MON_0900 + after, ctx())
    assert firing.kind == "escalated"
    assert firing.notice.reason == reason
    assert firing.notice.after == after
    assert firing.notice.level == 3  # no levels in the pack: one more than so far
    assert firing.notice.contacts == ()


def test_the_timer_key_names_the_severity_not_the_incidents_current_one():
    # Armed at SEV-2, fired after a change to SEV-1 was not yet replanned.
    snap = Snapshot(incident=Inc(severity="sev1"))
    firing = decide(T("escalation", "escalate_after:sev2"), snap, MON_0900, ctx())
    assert firing.notice.severity == "SEV-2"
    assert firing.notice.after == timedelta(hours=1)
    assert firing.data == {"threshold": "escalate_after", "severity": "sev2", "level": 1}


@pytest.mark.parametrize(
    ("so_far", "level", "name", "duties"),
    [
        (0, 1, "Engineering Manager", ("Bring more engineers", "Decide on rollback")),
        (1, 2, "CTO", ("Own the business decision",)),
        (2, 2, "CTO", ("Own the business decision",)),  # capped at the top level
        (7, 2, "CTO", ("Own the business decision",)),
    ],
)
def test_the_level_is_one_rung_up_per_earlier_escalation_capped_at_the_top(
    so_far, level, name, duties
):
    contacts = {1: ["U_EM"], 2: ["U_CTO", "S_EXEC"]}
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
            reason="still open after",
            after=timedelta(seconds=2),
            level=level,
            level_name=name,
            responsibilities=duties,
            contacts=tuple(contacts[level]),
        ),
        data={"threshold": "escalate_after", "severity": "sev1", "level": level},
    )


def test_a_level_without_contacts_pages_nobody():
    snap = Snapshot(incident=Inc(), escalations_so_far=1)
    firing = decide(
        T("escalation", "escalate_after:sev1"), snap, MON_0900, ctx(FAST, contacts={1: ["U_EM"]})
    )
    assert (firing.notice.level, firing.notice.contacts) == (2, ())


def test_a_business_day_threshold_counts_from_the_declaration_over_the_weekend():
    # SEV-4 must be responded to within 1 business day: Friday 17:00 -> Monday 17:00.
    snap = Snapshot(incident=Inc(severity="sev4", declared_at=FRI_1700))
    firing = decide(
        T("escalation", "respond_within:sev4"),
        snap,
        datetime(2026, 3, 9, 17, 0, tzinfo=UTC),
        ctx(),
    )
    assert firing.notice.after == timedelta(days=3)
    assert firing.notice.severity == "SEV-4"
    assert firing.notice.reason == "no response within"


def test_a_business_days_threshold_declared_midweek_spans_the_weekend():
    # SEV-3 is resolved within 3 business days: Wednesday 10:00 -> Monday 10:00.
    snap = Snapshot(incident=Inc(severity="sev3", declared_at=WED_1000))
    firing = decide(T("escalation", "resolve_within:sev3"), snap, WED_1000, ctx())
    assert firing.notice.after == timedelta(days=5)
    assert firing.notice.reason == "not resolved within"


def test_a_business_day_threshold_is_counted_on_the_contexts_calendar():
    # Friday 17:00 UTC is Friday 13:00 in New York (EDT); Monday 25 May 2026 is Memorial
    # Day, so 1 business day is Tuesday 13:00 there (17:00 UTC).
    us = BusinessCalendar(tz=ZoneInfo("America/New_York"), holidays=public_holidays("US"))
    friday = datetime(2026, 5, 22, 17, 0, tzinfo=UTC)
    snap = Snapshot(incident=Inc(severity="sev4", declared_at=friday))
    firing = decide(T("escalation", "respond_within:sev4"), snap, friday, ctx(calendar=us))
    assert firing.notice.after == datetime(2026, 5, 26, 17, 0, tzinfo=UTC) - friday


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
