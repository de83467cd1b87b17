"""bot.blocks.notices: what the clocks post."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.blocks.notices import (
    deadline_nudge_text,
    escalation_text,
    human,
    mention,
    retro_reminder_text,
    update_reminder_text,
)
from tests.blocks.slack_rules import HOSTILE, assert_never_pings

DUE = datetime(2026, 1, 5, 9, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("every", "text"),
    [
        (timedelta(minutes=30), "30 min"),
        (timedelta(hours=1, minutes=30), "1 h 30 min"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(hours=1, seconds=5), "1 h 5 s"),
        (timedelta(hours=4), "4 h"),
        (timedelta(days=1), "24 h"),
        (timedelta(days=3, minutes=1), "72 h 1 min"),
        (timedelta(0), "0 s"),
    ],
)
def test_human_durations(every, text):
    assert human(every) == text


def test_mention_users_and_user_groups():
    assert mention("U123") == "<@U123>"
    assert mention("W123") == "<@W123>"
    assert mention("S0ONCALL") == "<!subteam^S0ONCALL>"


def test_internal_update_reminder():
    assert update_reminder_text(audience="internal", every=timedelta(minutes=30), who="U1") == (
        ":alarm_clock: No internal update for 30 min: <@U1>, post one with `/incident update …`."
    )


def test_customer_update_reminder_names_the_customer_command():
    assert update_reminder_text(audience="customer", every=timedelta(hours=1), who="U1") == (
        ":alarm_clock: No customer update for 1 h: <@U1>, post one with "
        "`/incident update --customer …`."
    )


def test_escalation_names_the_level_its_duties_and_pages_the_contacts():
    text = escalation_text(
        severity="SEV-1",
        reason="not resolved within 4 h",
        level=2,
        level_name="Engineering manager",
        responsibilities=["Decide on a rollback", "Inform support"],
        contacts=["U7", "S0ONCALL"],
    )
    assert text == (
        ":rotating_light: *Escalation* · SEV-1: not resolved within 4 h.\n"
        "Escalating to level 2: *Engineering manager*\n"
        "• Decide on a rollback\n"
        "• Inform support\n"
        "Paging <@U7> <!subteam^S0ONCALL>"
    )


def test_escalation_without_levels_or_contacts_is_just_the_notice():
    text = escalation_text(
        severity="SEV-2",
        reason="no response within 15 min",
        level=None,
        level_name=None,
        responsibilities=[],
        contacts=[],
    )
    assert text == ":rotating_light: *Escalation* · SEV-2: no response within 15 min."


def test_escalation_duties_are_escaped_clipped_and_at_most_ten():
    text = escalation_text(
        severity="SEV-1",
        reason="still open after 1 h",
        level=1,
        level_name=HOSTILE,
        responsibilities=[HOSTILE * 10] * 12,
        contacts=[],
    )
    assert_never_pings(text)
    duties = text.split("\n• ")[1:]
    assert len(duties) == 10
    assert all(len(d) <= 300 for d in duties)


def test_deadline_nudge_lists_open_steps_and_who_has_them():
    text = deadline_nudge_text(
        phase="Immediate action",
        due_at=DUE,
        open_steps=[("Pause refunds", "U1"), ("Tell support", None)],
    )
    assert text == (
        ":hourglass: Deadline for *Immediate action* passed at 2026-01-05 09:15 UTC with "
        "2 step(s) still open:\n"
        "• Pause refunds — <@U1>\n"
        "• Tell support — unassigned"
    )


def test_deadline_nudge_counts_every_open_step_but_lists_twenty():
    steps = [(f"Step {i} {HOSTILE}", None) for i in range(25)]
    text = deadline_nudge_text(phase=HOSTILE, due_at=DUE, open_steps=steps)
    assert_never_pings(text)
    assert "with 25 step(s) still open:" in text
    assert text.count("\n• ") == 20
    assert "Step 19 " in text and "Step 20 " not in text


def test_retro_reminder():
    assert retro_reminder_text(commander="U1", deadline=DUE) == (
        ":memo: <@U1>, hold the retrospective for this incident by *2026-01-05 09:15 UTC*. "
        "Export the log with `/incident log`."
    )


def test_a_role_brief_has_the_instructions_then_the_rules():
    from bot.blocks.notices import role_brief_text

    assert role_brief_text(role="Scribe", incident_id="INC-1", instructions="Keep notes.") == (
        "You are now *Scribe* for INC-1.\nKeep notes."
    )
    assert (
        role_brief_text(
            role="Incident Commander", incident_id="INC-1", instructions="Lead.", rules=["A", "B"]
        )
        == "You are now *Incident Commander* for INC-1.\nLead.\n*Rules*\n• A\n• B"
    )


def test_the_commander_brief_lists_whom_to_notify_at_the_severity():
    from bot.blocks.notices import role_brief_text

    text = role_brief_text(
        role="Incident Commander",
        incident_id="INC-1",
        instructions="Run it.",
        notify=["Email: all team members (immediate)", "SMS: on-call <!channel>"],
    )
    assert text.endswith(
        "*Notify at this severity*\n• Email: all team members (immediate)\n"
        "• SMS: on-call &lt;!channel&gt;"
    )


def test_a_brief_says_what_the_role_is_for_and_who_decides_at_this_severity():
    from bot.blocks.notices import role_brief_text

    text = role_brief_text(
        role="Technical lead",
        incident_id="INC-1",
        instructions="Lead the debugging.",
        description="Leads debugging and mitigation for the affected surface.",
        decider="CTO / Lead Dev",
    )
    assert text == (
        "You are now *Technical lead* for INC-1. _Leads debugging and mitigation for the "
        "affected surface._\nLead the debugging.\n:scales: At this severity the decision maker "
        "is *CTO / Lead Dev*: if that is not you, hand over with `/incident commander @user`."
    )
