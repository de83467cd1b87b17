"""bot.blocks.ids: the IDs the bot sends and listens for, and the step block ID round trip."""

import re

import pytest

from bot.blocks.ids import (
    NO_PLAYBOOK,
    STEP_ACTIONS,
    SUGGEST,
    ActionId,
    BlockId,
    CallbackId,
    parse_step_block_id,
    step_block_id,
)
from playbooks.model import ID_PATTERN


def test_callback_and_block_ids():
    assert CallbackId.DECLARE == "incident_declare"
    assert CallbackId.LOG_EDIT == "incident_log_edit"
    assert CallbackId.CARD_UPDATE == "card_update_form"
    assert CallbackId.CARD_RESOLVE == "card_resolve_form"
    assert CallbackId.ADD_TO_TIMELINE == "add_to_timeline"
    assert CallbackId.DECLARE_FROM_MESSAGE == "declare_from_message"
    assert CallbackId.PICK_INCIDENT == "add_to_timeline_pick"
    assert CallbackId.CARD_FOLLOW_UP == "card_follow_up_form"
    assert {b.name: b.value for b in BlockId} == {
        "TITLE": "title",
        "SEVERITY": "severity",
        "DESCRIPTION": "description",
        "COMMANDER": "commander",
        "PLAYBOOK": "playbook",
        "UPDATE_AUDIENCE": "update_audience",
        "UPDATE_TEXT": "update_text",
        "RESOLUTION": "resolution",
        "ROOT_CAUSE": "root_cause",
        "PREVENTION": "prevention",
        "INCIDENT": "incident",
        "PRIVATE": "private",
        "FOLLOW_UP_TEXT": "follow_up_text",
        "FOLLOW_UP_OWNER": "follow_up_owner",
        "FOLLOW_UP_DUE": "follow_up_due",
    }


def test_action_ids_are_distinct_strings():
    assert {a.name: a.value for a in ActionId} == {
        "TITLE": "title_input",
        "SEVERITY": "severity_select",
        "DESCRIPTION": "description_input",
        "COMMANDER": "commander_select",
        "PLAYBOOK": "playbook_select",
        "STEP_DONE": "step_done",
        "STEP_SKIP": "step_skip",
        "STEP_ASSIGN_ME": "step_assign_me",
        "STEP_ASSIGN": "step_assign",
        "STEP_UNDO": "step_undo",
        "STEP_SEND": "step_send",
        "STEP_DONE_ANYWAY": "step_done_anyway",
        "STEP_MONITOR": "step_monitor",
        "ATTACH_PLAYBOOK": "attach_playbook",
        "POST_ANYWAY": "customer_post_anyway",
        "CANCEL_DRAFT": "customer_cancel",
        "CHECKLIST_TICK": "checklist_tick",
        "HAND_OVER_TO": "hand_over_to",
        "ESCALATE": "escalate",
        "ALERT_DECLARE": "alert_declare",
        "ALERT_DISMISS": "alert_dismiss",
        "ALERT_SEVERITY": "alert_severity",
        "LOG_FIELD": "log_field_input",
        "CARD_POST_UPDATE": "card_post_update",
        "CARD_SEVERITY": "card_severity",
        "CARD_TAKE_ROLE": "card_take_role",
        "CARD_RESOLVE": "card_resolve",
        "CARD_FORM_FIELD": "card_form_field",
        "FOLLOW_UP_DONE": "follow_up_done",
        "FOLLOW_UP_REOPEN": "follow_up_reopen",
        "PICK_INCIDENT": "incident_select",
        "PRIVATE": "private_checkbox",
        "HOME_DECLARE": "home_declare",
        "CARD_FOLLOW_UP": "card_follow_up",
    }
    assert len({a.value for a in ActionId}) == len(list(ActionId))


def test_step_actions_are_the_five_step_buttons():
    assert STEP_ACTIONS == (
        ActionId.STEP_SEND,
        ActionId.STEP_DONE_ANYWAY,
        ActionId.STEP_MONITOR,
        ActionId.STEP_DONE,
        ActionId.STEP_SKIP,
        ActionId.STEP_ASSIGN_ME,
        ActionId.STEP_ASSIGN,
        ActionId.STEP_UNDO,
    )


def test_the_special_playbook_choices_can_never_be_a_pack_playbook_id():
    assert (SUGGEST, NO_PLAYBOOK) == ("__suggest__", "__none__")
    assert re.fullmatch(ID_PATTERN, SUGGEST) is None
    assert re.fullmatch(ID_PATTERN, NO_PLAYBOOK) is None


def test_step_block_id_names_playbook_phase_and_step():
    assert step_block_id("refund-twice", 1, 4) == "step|refund-twice|1|4"


@pytest.mark.parametrize(
    ("playbook", "phase", "step"),
    [("refund-twice", 0, 0), ("db_failover", 2, 22), ("p1", 10, 105)],
)
def test_step_block_ids_round_trip(playbook, phase, step):
    assert parse_step_block_id(step_block_id(playbook, phase, step)) == (playbook, phase, step)


@pytest.mark.parametrize(
    "block_id",
    [
        "",
        "title",
        "step",
        "step|refund|1",
        "step|refund|1|2|3",
        "step|refund|one|2",
        "step|refund|1|two",
        "step|refund|-1|2",
        "step|refund|1|",
        "steps|refund|1|2",
        "checklist|run-1|0",
        "playbook.refund",
    ],
)
def test_anything_else_is_not_a_step_block_id(block_id):
    assert parse_step_block_id(block_id) is None
