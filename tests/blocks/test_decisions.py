"""bot.blocks.decisions: the ask for a level's decision maker to take command."""

from bot.blocks.decisions import decision_maker_blocks, decision_maker_text
from bot.blocks.ids import ActionId
from tests.blocks.slack_rules import HOSTILE, assert_never_pings, assert_valid_blocks

ASK = {
    "line": ":rotating_light: <@U1> changed severity Defcon 3 → *Defcon 1*.",
    "severity": "Defcon 1",
    "decision_maker": "CTO / Lead Dev",
    "commander": "U1",
}


def test_the_text_names_the_level_its_decision_maker_and_the_commander():
    assert decision_maker_text(**ASK) == (
        ":rotating_light: <@U1> changed severity Defcon 3 → *Defcon 1*.\n"
        ":scales: At Defcon 1 the decision maker is *CTO / Lead Dev*. <@U1>, if that is not "
        "you, hand over command to them."
    )


def test_the_block_carries_a_person_picker_that_hands_over():
    blocks = decision_maker_blocks(**ASK)
    assert_valid_blocks(blocks)
    [section] = blocks
    assert section["text"]["text"] == decision_maker_text(**ASK)
    assert section["accessory"]["type"] == "users_select"
    assert section["accessory"]["action_id"] == ActionId.HAND_OVER_TO


def test_pack_text_never_pings():
    ask = {**ASK, "severity": HOSTILE, "decision_maker": HOSTILE}
    assert_never_pings(decision_maker_blocks(**ask))
