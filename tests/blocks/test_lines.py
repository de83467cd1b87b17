"""bot.blocks.lines: the short lines posted in an incident channel when something changes."""

from bot.blocks.format import SECTION_LIMIT
from bot.blocks.lines import (
    commander_changed_line,
    note_line,
    reopened_line,
    resolved_line,
    role_assigned_line,
    severity_changed_line,
    status_changed_line,
)
from tests.blocks.slack_rules import HOSTILE, assert_never_pings


def test_commander_changed():
    assert commander_changed_line(actor="U1", old="U1", new="U2") == (
        ":crown: <@U1> handed command from <@U1> to <@U2>."
    )


def test_severity_changed():
    assert severity_changed_line(actor="U1", old="SEV-2", new="SEV-1") == (
        ":rotating_light: <@U1> changed severity SEV-2 → *SEV-1*."
    )


def test_status_changed():
    assert status_changed_line(actor="U1", old="Investigating", new="Identified") == (
        ":arrows_counterclockwise: <@U1> changed status Investigating → *Identified*."
    )


def test_role_assigned_to_a_free_role():
    assert role_assigned_line(actor="U1", role="Scribe", assignee="U3", previous=None) == (
        ":bust_in_silhouette: <@U1> made <@U3> *Scribe*."
    )


def test_role_passed_on_names_the_previous_holder():
    assert role_assigned_line(actor="U1", role="Scribe", assignee="U3", previous="U2") == (
        ":bust_in_silhouette: <@U1> made <@U3> *Scribe* (was <@U2>)."
    )


def test_note():
    assert note_line(actor="U1", text="Rolled back <@U2>'s deploy & waiting") == (
        ":memo: Note from <@U1>: Rolled back <@U2>'s deploy &amp; waiting"
    )


def test_a_hostile_note_never_pings():
    line = note_line(actor="U1", text=HOSTILE)
    assert_never_pings(line)
    assert line.startswith(":memo: Note from <@U1>: &lt;!channel&gt;")


def test_a_long_note_fits_a_section():
    line = note_line(actor="U1", text="n" * 10_000)
    assert len(line) == len(":memo: Note from <@U1>: ") + 2900
    assert len(line) <= SECTION_LIMIT
    assert line.endswith("n…")


def test_resolved_without_a_summary():
    assert resolved_line(actor="U1", summary=None) == (
        ":white_check_mark: <@U1> resolved the incident."
    )
    assert resolved_line(actor="U1", summary="") == resolved_line(actor="U1", summary=None)


def test_resolved_with_a_summary():
    assert resolved_line(actor="U1", summary="Bad deploy <reverted>") == (
        ":white_check_mark: <@U1> resolved the incident.\n*Summary:* Bad deploy &lt;reverted&gt;"
    )


def test_a_long_hostile_summary_fits_a_section_and_never_pings():
    line = resolved_line(actor="U1", summary=HOSTILE * 200)
    assert_never_pings(line)
    assert len(line) <= SECTION_LIMIT


def test_reopened():
    assert reopened_line(actor="U7") == ":leftwards_arrow_with_hook: <@U7> reopened the incident."


def test_resolving_at_a_level_with_customer_updates_asks_for_the_last_one():
    from bot.blocks.lines import resolved_line

    assert resolved_line(actor="U1", summary=None, final_update=True) == (
        ":white_check_mark: <@U1> resolved the incident.\n"
        ":loudspeaker: Tell customers it is resolved: `/incident update --customer …`."
    )
    assert "loudspeaker" not in resolved_line(actor="U1", summary="Fixed")
