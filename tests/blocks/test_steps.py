"""bot.blocks.steps: playbook phases with a Done / Skip / Assign / Undo row per step."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.blocks.ids import STEP_ACTIONS, ActionId, parse_step_block_id
from bot.blocks.steps import (
    MAX_STEPS_PER_MESSAGE,
    STATUS_ICON,
    PhaseView,
    StepLine,
    phase_blocks,
    phase_header,
    phase_text,
)
from tests.blocks.slack_rules import HOSTILE, assert_never_pings, assert_valid_blocks

DUE = datetime(2026, 1, 5, 9, 15, tzinfo=UTC)
AT = datetime(2026, 1, 5, 9, 5, tzinfo=UTC)
OPEN = StepLine(0, "Pause refunds", role_name="Payments lead", role_holders=("U3",))
DONE = StepLine(1, "Check the ledger", kind="check", status="done", actor="U2", at=AT)
VIEW = PhaseView(
    playbook_id="refund-twice",
    playbook_title="Refunds executed twice",
    phase=0,
    phase_count=3,
    name="Immediate action",
    steps=(OPEN, DONE),
    due_at=DUE,
    within="15m",
)


def step_text(step: StepLine) -> str:
    """The section text a single step renders as."""
    return phase_blocks(replace(VIEW, steps=(step,)))[1]["text"]["text"]


def test_header_names_playbook_phase_deadline_and_progress():
    assert phase_header(VIEW) == (
        ":clipboard: *Refunds executed twice* · phase 1/3: *Immediate action* · "
        ":alarm_clock: due by 2026-01-05 09:15 UTC (within 15m of declaration) · 1/2"
    )


def test_header_without_a_deadline():
    view = replace(VIEW, phase=2, due_at=None, within=None, steps=(OPEN,))
    assert phase_header(view) == (
        ":clipboard: *Refunds executed twice* · phase 3/3: *Immediate action* · 0/1"
    )


def test_header_with_a_deadline_but_no_relative_window():
    assert phase_header(replace(VIEW, within=None)).endswith(
        "· :alarm_clock: due by 2026-01-05 09:15 UTC · 1/2"
    )


def test_a_phase_is_a_header_then_a_section_and_a_button_row_per_step():
    blocks = phase_blocks(VIEW)
    assert_valid_blocks(blocks)
    assert [b["type"] for b in blocks] == ["section", "section", "actions", "section", "actions"]
    assert blocks[0]["text"]["text"] == phase_header(VIEW)


def test_step_rows_carry_block_ids_that_name_the_step():
    blocks = phase_blocks(VIEW)
    rows = [b for b in blocks if b["type"] == "actions"]
    assert [parse_step_block_id(r["block_id"]) for r in rows] == [
        ("refund-twice", 0, 0),
        ("refund-twice", 0, 1),
    ]


def test_an_open_step_offers_done_skip_assign_to_me_and_assign():
    row = phase_blocks(VIEW)[2]
    assert [e["action_id"] for e in row["elements"]] == [
        ActionId.STEP_DONE,
        ActionId.STEP_SKIP,
        ActionId.STEP_ASSIGN_ME,
        ActionId.STEP_ASSIGN,
    ]
    done, skip, me, assign = row["elements"]
    assert [(b["text"]["text"], b["value"]) for b in (done, skip, me)] == [
        ("Done", "refund-twice|0|0"),
        ("Skip (n/a)", "refund-twice|0|0"),
        ("Assign to me", "refund-twice|0|0"),
    ]
    assert done["style"] == "primary"
    assert assign["type"] == "users_select"
    assert assign["placeholder"]["text"] == "Assign to…"
    assert all(e["action_id"] in STEP_ACTIONS for e in row["elements"])


@pytest.mark.parametrize("status", ["done", "skipped"])
def test_a_finished_step_offers_only_undo(status):
    row = phase_blocks(replace(VIEW, steps=(replace(DONE, status=status),)))[2]
    assert row["elements"] == [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Undo", "emoji": True},
            "action_id": ActionId.STEP_UNDO.value,
            "value": "refund-twice|0|1",
        }
    ]


def test_an_open_step_with_its_role():
    assert step_text(OPEN) == ":white_large_square: 1. Pause refunds\n_Payments lead: <@U3>_"


def test_an_open_step_with_its_role_free_and_an_assignee():
    step = replace(OPEN, role_holders=(), assignee="U9")
    assert step_text(step) == (
        ":white_large_square: 1. Pause refunds\n_Payments lead: — · assigned to <@U9>_"
    )


def test_a_done_check_says_who_and_when():
    assert step_text(DONE) == (
        ":white_check_mark: 2. :mag: Check the ledger\n_✅ done by <@U2> at 09:05 UTC_"
    )


def test_a_skipped_step_says_who_when_and_why():
    skipped = replace(DONE, kind="action", status="skipped")
    assert step_text(skipped) == (
        ":fast_forward: 2. Check the ledger\n_⏭️ skipped by <@U2> at 09:05 UTC (not applicable)_"
    )
    assert step_text(replace(skipped, note="no refunds today")).endswith("(no refunds today)_")


def test_a_message_step_names_its_audience():
    step = StepLine(3, "Post the holding statement", kind="message", audience="Customers")
    assert step_text(step) == (
        ":white_large_square: 4. :speech_balloon: *Customers:* Post the holding statement"
    )


def test_status_icons():
    assert STATUS_ICON == {
        "open": ":white_large_square:",
        "done": ":white_check_mark:",
        "skipped": ":fast_forward:",
    }


def test_a_long_phase_shows_the_first_23_steps_within_fifty_blocks():
    assert MAX_STEPS_PER_MESSAGE == 23
    steps = tuple(StepLine(i, f"Step {i}") for i in range(30))
    blocks = phase_blocks(replace(VIEW, steps=steps))
    assert_valid_blocks(blocks)
    assert len(blocks) == 48
    rows = [b for b in blocks if b["type"] == "actions"]
    assert parse_step_block_id(rows[-1]["block_id"]) == ("refund-twice", 0, 22)
    assert blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "7 more steps: see the pack."}],
    }


def test_exactly_23_steps_need_no_more_note():
    steps = tuple(StepLine(i, f"Step {i}") for i in range(23))
    blocks = phase_blocks(replace(VIEW, steps=steps))
    assert_valid_blocks(blocks)
    assert len(blocks) == 47
    assert blocks[-1]["type"] == "actions"


def test_long_texts_with_every_detail_stay_within_slack_limits():
    step = StepLine(
        0,
        "S" * 10_000,
        kind="message",
        role_name="Payments lead",
        role_holders=("U01ABCDEF12", "U01ABCDEF13", "U01ABCDEF14"),
        audience="Customers",
        status="skipped",
        actor="U01ABCDEF15",
        at=AT,
        assignee="U01ABCDEF16",
    )
    view = replace(VIEW, playbook_title="P" * 1000, name="N" * 1000, steps=(step,))
    blocks = phase_blocks(view)
    assert_valid_blocks(blocks)
    assert len(blocks[1]["text"]["text"]) <= 3000


def test_hostile_step_and_phase_texts_never_ping():
    view = replace(VIEW, playbook_title=HOSTILE, name=HOSTILE, steps=(replace(OPEN, text=HOSTILE),))
    blocks = phase_blocks(view)
    assert_valid_blocks(blocks)
    assert_never_pings(blocks)


def test_phase_notification_text():
    assert phase_text(VIEW) == "Refunds executed twice: phase 1/3 Immediate action"
    assert len(phase_text(replace(VIEW, playbook_title="P" * 1000))) == 300


def test_a_message_step_offers_send_as_its_one_primary_button():
    from bot.blocks.steps import PhaseView, StepLine, phase_blocks

    view = PhaseView(
        playbook_id="pb",
        playbook_title="Refund executed incorrectly",
        phase=1,
        phase_count=3,
        name="Communicate",
        steps=(
            StepLine(index=0, text="Refund delayed.", kind="message", audience="Buyers"),
            StepLine(index=1, text="Stop retry jobs"),
        ),
    )
    rows = [b for b in phase_blocks(view) if b["type"] == "actions"]
    message, action = ([e["action_id"] for e in row["elements"]] for row in rows)
    assert message[:2] == [ActionId.STEP_SEND, ActionId.STEP_DONE]
    assert ActionId.STEP_SEND not in action
    primary = [e["action_id"] for e in rows[0]["elements"] if e.get("style") == "primary"]
    assert primary == [ActionId.STEP_SEND]
    assert [e["action_id"] for e in rows[1]["elements"] if e.get("style")] == [ActionId.STEP_DONE]


def test_the_out_of_order_question_names_what_is_open_and_offers_done_anyway():
    from bot.blocks.steps import out_of_order_blocks

    blocks = out_of_order_blocks(
        step="Verify the escrow state",
        waiting=["Disable auto refunds", "Stop retry jobs"],
        block_id="step|pb|2|0",
        value="pb|2|0",
    )
    assert_valid_blocks(blocks)
    assert blocks[0]["text"]["text"] == (
        ":warning: “Verify the escrow state” comes after steps still open:\n"
        "• Disable auto refunds\n• Stop retry jobs\nTick it anyway?"
    )
    [button] = blocks[1]["elements"]
    assert (button["action_id"], button["value"]) == (ActionId.STEP_DONE_ANYWAY, "pb|2|0")
    assert parse_step_block_id(blocks[1]["block_id"]) == ("pb", 2, 0)


def test_a_phase_shows_its_rules_and_the_phase_it_waits_for():
    from bot.blocks.steps import PhaseView, StepLine, phase_blocks

    view = PhaseView(
        playbook_id="lag",
        playbook_title="Live auction lag",
        phase=1,
        phase_count=3,
        name="UX expected",
        steps=(StepLine(index=0, text="Live webcast unavailable"),),
        rules=("Disable first, fix second", "Never retry <!channel> blindly"),
        after="Immediate action",
    )
    blocks = phase_blocks(view)
    assert blocks[0]["text"]["text"].endswith(
        "phase 2/3: *UX expected* · after *Immediate action* · 0/1"
    )
    assert blocks[1]["type"] == "context"
    assert blocks[1]["elements"][0]["text"] == (
        ":scales: *Rules here:* Disable first, fix second · Never retry &lt;!channel&gt; blindly"
    )
