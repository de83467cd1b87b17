"""bot.blocks.declare: the declare modal, and reading back what it was submitted with."""

from typing import Any

import pytest

from bot.blocks.declare import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    DeclareForm,
    SeverityChoice,
    declare_modal_view,
    read_declare_form,
)
from bot.blocks.ids import NO_PLAYBOOK, SUGGEST, ActionId, BlockId, CallbackId
from tests.blocks.slack_rules import assert_valid_modal

SEVERITIES = [
    SeverityChoice("sev1", "SEV-1", "Customers cannot pay"),
    SeverityChoice("sev2", "SEV-2", "Degraded"),
    SeverityChoice("sev3", "SEV-3"),
]
PLAYBOOKS = [("db-failover", "Database failover"), ("refund-twice", "Refunds executed twice")]


def modal(**kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("playbooks", PLAYBOOKS)
    view = declare_modal_view(SEVERITIES, declarer="UDECL", **kwargs)
    assert_valid_modal(view)
    return view


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    (found,) = [b for b in view["blocks"] if b["block_id"] == block_id]
    return found


def option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": value}


def submitted(
    view: dict[str, Any],
    *,
    title: str | None,
    severity: str | None,
    description: str | None,
    commander: str | None,
    playbook: str | None,
) -> dict[str, Any]:
    """`view.state.values` as Slack sends it for this modal, keyed by the modal's own IDs."""
    ids = {b["element"]["action_id"]: b["block_id"] for b in view["blocks"]}
    options = {
        b["element"]["action_id"]: {o["value"]: o for o in b["element"].get("options", [])}
        for b in view["blocks"]
    }

    def select(action: ActionId, value: str | None) -> dict[str, Any]:
        chosen = options[action][value] if value else None
        return {action: {"type": "static_select", "selected_option": chosen}}

    return {
        ids[ActionId.TITLE]: {ActionId.TITLE: {"type": "plain_text_input", "value": title}},
        ids[ActionId.SEVERITY]: select(ActionId.SEVERITY, severity),
        ids[ActionId.DESCRIPTION]: {
            ActionId.DESCRIPTION: {"type": "plain_text_input", "value": description}
        },
        ids[ActionId.PLAYBOOK]: select(ActionId.PLAYBOOK, playbook),
        ids[ActionId.COMMANDER]: {
            ActionId.COMMANDER: {"type": "users_select", "selected_user": commander}
        },
    }


# --- the modal -----------------------------------------------------------------------------


def test_modal_frame():
    view = modal(private_metadata='{"channel": "C1"}')
    assert view["type"] == "modal"
    assert view["callback_id"] == CallbackId.DECLARE == "incident_declare"
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Declare an incident",
        "Declare",
        "Cancel",
    )
    assert view["private_metadata"] == '{"channel": "C1"}'


def test_inputs_in_order_with_their_ids_and_labels():
    view = modal()
    assert [
        (b["block_id"], b["element"]["action_id"], b["label"]["text"], b.get("optional", False))
        for b in view["blocks"]
    ] == [
        (BlockId.TITLE, ActionId.TITLE, "Title", False),
        (BlockId.SEVERITY, ActionId.SEVERITY, "Severity", False),
        (BlockId.DESCRIPTION, ActionId.DESCRIPTION, "Description", True),
        (BlockId.PLAYBOOK, ActionId.PLAYBOOK, "Playbook", False),
        (BlockId.COMMANDER, ActionId.COMMANDER, "Incident commander", False),
        (BlockId.PRIVATE, ActionId.PRIVATE, "Visibility", True),
    ]


def test_title_input_is_limited_and_dispatches_as_it_is_typed():
    title = block(modal(), BlockId.TITLE)
    assert title["dispatch_action"] is True
    assert title["element"] == {
        "type": "plain_text_input",
        "action_id": ActionId.TITLE.value,
        "max_length": TITLE_MAX,
        "dispatch_action_config": {
            "trigger_actions_on": ["on_enter_pressed", "on_character_entered"]
        },
    }
    assert TITLE_MAX == 150


def test_description_is_an_optional_multiline_input_that_fits_a_section():
    element = block(modal(), BlockId.DESCRIPTION)["element"]
    assert (element["multiline"], element["max_length"]) == (True, DESCRIPTION_MAX)
    assert DESCRIPTION_MAX == 2900


def test_severities_are_offered_with_their_descriptions():
    element = block(modal(), BlockId.SEVERITY)["element"]
    assert element["placeholder"]["text"] == "Choose a severity"
    assert element["options"] == [
        {
            **option("sev1", "SEV-1"),
            "description": {"type": "plain_text", "text": "Customers cannot pay", "emoji": True},
        },
        {
            **option("sev2", "SEV-2"),
            "description": {"type": "plain_text", "text": "Degraded", "emoji": True},
        },
        option("sev3", "SEV-3"),
    ]
    assert "initial_option" not in element


def test_playbook_select_offers_best_match_none_and_the_pack_best_match_chosen():
    element = block(modal(), BlockId.PLAYBOOK)["element"]
    assert element["options"] == [
        option(SUGGEST, "✨ Best match for the title"),
        option(NO_PLAYBOOK, "None"),
        option("db-failover", "Database failover"),
        option("refund-twice", "Refunds executed twice"),
    ]
    assert element["initial_option"] == option(SUGGEST, "✨ Best match for the title")


def test_a_suggested_playbook_is_preselected_under_a_new_block_id_others_keep_theirs():
    view = modal(suggested="refund-twice")
    assert [b["block_id"] for b in view["blocks"]] == [
        "title",
        "severity",
        "description",
        "playbook.refund-twice",
        "commander",
        "private",
    ]
    element = block(view, "playbook.refund-twice")["element"]
    assert element["initial_option"] == option("refund-twice", "Refunds executed twice")


def test_a_different_suggestion_gets_a_different_block_id():
    first = modal(suggested="refund-twice")["blocks"][3]["block_id"]
    second = modal(suggested="db-failover")["blocks"][3]["block_id"]
    assert (first, second) == ("playbook.refund-twice", "playbook.db-failover")


def test_a_suggestion_not_in_the_pack_falls_back_to_best_match():
    view = modal(suggested="gone")
    element = block(view, BlockId.PLAYBOOK)["element"]
    assert element["initial_option"]["value"] == SUGGEST


def test_the_declarer_is_the_default_commander():
    element = block(modal(), BlockId.COMMANDER)["element"]
    assert element == {
        "type": "users_select",
        "action_id": ActionId.COMMANDER.value,
        "initial_user": "UDECL",
    }


def test_a_pack_without_playbooks_still_offers_best_match_and_none():
    element = block(modal(playbooks=()), BlockId.PLAYBOOK)["element"]
    assert [o["value"] for o in element["options"]] == [SUGGEST, NO_PLAYBOOK]


def test_long_pack_texts_and_many_choices_stay_within_slack_limits():
    severities = [SeverityChoice(f"s{i}", f"S{i}", "D" * 500) for i in range(150)]
    playbooks = [(f"p{i}", "P" * 500) for i in range(150)]
    view = declare_modal_view(severities, declarer="U1", playbooks=playbooks, suggested="p97")
    assert_valid_modal(view)
    severity = block(view, BlockId.SEVERITY)["element"]
    playbook = block(view, "playbook.p97")["element"]
    assert len(severity["options"]) == 100
    assert severity["options"][0]["description"]["text"] == "D" * 74 + "…"
    assert len(playbook["options"]) == 100
    assert playbook["options"][-1]["value"] == "p97"
    assert playbook["options"][2]["text"]["text"] == "P" * 74 + "…"


def test_a_long_severity_name_still_builds_a_valid_modal():
    view = declare_modal_view([SeverityChoice("sev1", "N" * 100)], declarer="U1")
    assert_valid_modal(view)


# --- reading the submission back -----------------------------------------------------------


def test_read_declare_form_reads_back_what_the_modal_holds():
    view = modal()
    state = submitted(
        view,
        title="  Refunds executed twice  ",
        severity="sev1",
        description="Customers charged twice\nsince 09:00",
        commander="UCMD",
        playbook="refund-twice",
    )
    assert read_declare_form(state) == DeclareForm(
        title="Refunds executed twice",
        severity="sev1",
        description="Customers charged twice\nsince 09:00",
        commander="UCMD",
        playbook="refund-twice",
    )


def test_read_declare_form_finds_the_playbook_under_a_suggestion_block_id():
    view = modal(suggested="db-failover")
    state = submitted(
        view,
        title="DB down",
        severity="sev2",
        description=None,
        commander="UDECL",
        playbook="db-failover",
    )
    assert "playbook.db-failover" in state
    assert read_declare_form(state) == DeclareForm(
        title="DB down", severity="sev2", description="", commander="UDECL", playbook="db-failover"
    )


@pytest.mark.parametrize("playbook", [SUGGEST, NO_PLAYBOOK])
def test_read_declare_form_keeps_best_match_and_none_as_chosen(playbook):
    state = submitted(
        modal(), title="T", severity="sev3", description="", commander="U1", playbook=playbook
    )
    assert read_declare_form(state).playbook == playbook


def test_read_declare_form_with_nothing_chosen():
    state = submitted(
        modal(), title=None, severity=None, description=None, commander=None, playbook=None
    )
    assert read_declare_form(state) == DeclareForm(
        title="", severity=None, description="", commander=None, playbook=SUGGEST
    )


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"title": None, "severity": "sev1"},
        {"title": {"title_input": "oops"}, "playbook": {"playbook_select": None}},
        {"severity": {"severity_select": {"selected_option": "sev1"}}},
        {"playbook.x": {"playbook_select": {"selected_option": "x"}}},
    ],
)
def test_read_declare_form_tolerates_missing_and_malformed_values(state):
    assert read_declare_form(state) == DeclareForm(
        title="", severity=None, description="", commander=None, playbook=SUGGEST
    )


def test_alert_rules_are_shown_under_the_severity_as_guidance():
    from bot.blocks.declare import declare_modal_view
    from tests.blocks.slack_rules import assert_valid_modal

    view = declare_modal_view(
        [SeverityChoice("p0", "P0")],
        declarer="U1",
        guidance=["P0: Payment success rate < 95% for 10m", "P1: Error rate > 1% for 5m"],
    )
    assert_valid_modal(view)
    kinds = [b["type"] for b in view["blocks"]]
    assert kinds[1:3] == ["input", "context"]
    guidance = view["blocks"][2]["elements"][0]["text"]
    # Escaped as Slack's mrkdwn wants (it shows < and >).
    assert guidance == (
        "• P0: Payment success rate &lt; 95% for 10m\n• P1: Error rate &gt; 1% for 5m"
    )
    plain = declare_modal_view([SeverityChoice("p0", "P0")], declarer="U1")
    assert "context" not in [b["type"] for b in plain["blocks"]]
