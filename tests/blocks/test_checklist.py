"""bot.blocks.checklist: checkboxes for the items, grouped by ten, and who ticked each."""

from datetime import UTC, datetime

import pytest

from bot.blocks.checklist import (
    PER_GROUP,
    checklist_block_id,
    checklist_blocks,
    parse_checklist_block_id,
)
from bot.blocks.ids import ActionId, parse_step_block_id, step_block_id
from tests.blocks.slack_rules import HOSTILE, assert_never_pings, assert_valid_blocks

ITEMS = ["Backups ran", "Error budget checked", "On-call handover done"]
AT_0905 = datetime(2026, 1, 5, 9, 5, tzinfo=UTC)
AT_1130 = datetime(2026, 1, 5, 11, 30, tzinfo=UTC)


def checkboxes(block: dict) -> dict:
    (element,) = block["elements"]
    return element


def test_block_id_names_run_and_group():
    assert checklist_block_id("run-1", 2) == "checklist|run-1|2"


@pytest.mark.parametrize(("run_id", "group"), [("run-1", 0), ("3f9a1c0b7d2e4a65", 4)])
def test_block_ids_round_trip(run_id, group):
    assert parse_checklist_block_id(checklist_block_id(run_id, group)) == (run_id, group)


@pytest.mark.parametrize(
    "block_id",
    ["", "checklist", "checklist|run-1", "checklist|run-1|x", "checklist|a|b|1", "list|r|1"],
)
def test_anything_else_is_not_a_checklist_block_id(block_id):
    assert parse_checklist_block_id(block_id) is None


def test_checklist_and_step_block_ids_never_parse_as_each_other():
    assert parse_step_block_id(checklist_block_id("run-1", 0)) is None
    assert parse_checklist_block_id(step_block_id("refunds", 0, 1)) is None


def test_an_untouched_checklist():
    blocks = checklist_blocks(run_id="run-1", title="Daily checks", items=ITEMS, ticks={})
    assert_valid_blocks(blocks)
    assert blocks == [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": ":ballot_box_with_check: *Daily checks* · 0/3"},
        },
        {
            "type": "actions",
            "block_id": "checklist|run-1|0",
            "elements": [
                {
                    "type": "checkboxes",
                    "action_id": ActionId.CHECKLIST_TICK.value,
                    "options": [
                        {"text": {"type": "mrkdwn", "text": item}, "value": str(i)}
                        for i, item in enumerate(ITEMS)
                    ],
                }
            ],
        },
    ]


def test_ticked_items_are_checked_and_say_who_and_when_in_item_order():
    ticks = {2: ("U2", AT_1130), 0: ("U1", AT_0905)}
    blocks = checklist_blocks(run_id="run-1", title="Daily checks", items=ITEMS, ticks=ticks)
    assert_valid_blocks(blocks)
    assert blocks[0]["text"]["text"] == ":ballot_box_with_check: *Daily checks* · 2/3"
    assert [o["value"] for o in checkboxes(blocks[1])["initial_options"]] == ["0", "2"]
    assert blocks[2] == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "☑ 1. <@U1> at 09:05 UTC\n☑ 3. <@U2> at 11:30 UTC"}
        ],
    }


def test_items_are_grouped_ten_to_a_checkboxes_element_with_ids_that_round_trip():
    assert PER_GROUP == 10
    items = [f"Item {i}" for i in range(25)]
    blocks = checklist_blocks(run_id="run-9", title="Big", items=items, ticks={23: ("U1", AT_0905)})
    assert_valid_blocks(blocks)
    groups = [b for b in blocks if b["type"] == "actions"]
    assert [parse_checklist_block_id(b["block_id"]) for b in groups] == [
        ("run-9", 0),
        ("run-9", 1),
        ("run-9", 2),
    ]
    values = [[o["value"] for o in checkboxes(b)["options"]] for b in groups]
    assert values == [
        [str(i) for i in range(0, 10)],
        [str(i) for i in range(10, 20)],
        [str(i) for i in range(20, 25)],
    ]
    assert "initial_options" not in checkboxes(groups[0])
    assert [o["value"] for o in checkboxes(groups[2])["initial_options"]] == ["23"]
    assert all(checkboxes(b)["action_id"] == ActionId.CHECKLIST_TICK for b in groups)


def test_long_items_and_title_stay_within_slack_limits():
    blocks = checklist_blocks(
        run_id="run-1",
        title="T" * 5000,
        items=["I" * 500, "short"],
        ticks={0: ("U1", AT_0905)},
    )
    assert_valid_blocks(blocks)
    first = checkboxes(blocks[1])["options"][0]["text"]["text"]
    assert first == "I" * 74 + "…"
    assert blocks[0]["text"]["text"] == (":ballot_box_with_check: *" + "T" * 199 + "…* · 1/2")


def test_a_hostile_title_never_pings():
    blocks = checklist_blocks(run_id="run-1", title=HOSTILE, items=ITEMS, ticks={})
    assert_valid_blocks(blocks)
    assert_never_pings(blocks)


def test_a_very_long_checklist_stays_within_fifty_blocks():
    items = [f"Item {i}" for i in range(500)]
    blocks = checklist_blocks(run_id="run-1", title="Huge", items=items, ticks={})
    assert len(blocks) <= 50
