"""The incident-log form and the line a filled-in field posts."""

from bot.blocks.ids import ActionId, CallbackId
from bot.blocks.lines import log_fields_line
from bot.blocks.log_form import LogFieldInput, log_edit_view, read_log_edit_form
from tests.blocks.slack_rules import assert_valid_modal


def test_the_form_has_one_optional_prefilled_input_per_field():
    view = log_edit_view(
        [
            LogFieldInput("detection_method", "Detection Method", hint="Automated, …"),
            LogFieldInput("impact", "User Impact", "40 buyers"),
        ],
        incident_id="INC-1",
        private_metadata='{"incident": "INC-1"}',
    )
    assert_valid_modal(view)
    assert view["callback_id"] == CallbackId.LOG_EDIT
    assert view["title"]["text"] == "Fill in the incident log"
    assert view["private_metadata"] == '{"incident": "INC-1"}'
    context, method, impact = view["blocks"]
    assert context["type"] == "context" and "*INC-1*" in context["elements"][0]["text"]
    assert method == {
        "type": "input",
        "block_id": "log_field|detection_method",
        "label": {"type": "plain_text", "text": "Detection Method", "emoji": True},
        "hint": {"type": "plain_text", "text": "Automated, …", "emoji": True},
        "optional": True,
        "element": {
            "type": "plain_text_input",
            "action_id": ActionId.LOG_FIELD,
            "multiline": True,
            "max_length": 2800,
        },
    }
    assert impact["element"]["initial_value"] == "40 buyers"


def test_reading_the_form_back():
    values = {
        "log_field|impact": {ActionId.LOG_FIELD: {"type": "plain_text_input", "value": "x"}},
        "log_field|lessons_learned": {ActionId.LOG_FIELD: {"value": None}},
        "other": {"a": {"value": "ignored"}},
    }
    assert read_log_edit_form(values) == {"impact": "x", "lessons_learned": ""}


def test_the_line_lists_each_field_and_keeps_user_text_safe():
    line = log_fields_line(
        actor="U1", changes=[("User Impact", "paged <!here> about it"), ("Lessons", "")]
    )
    assert line == (
        ":memo: <@U1> filled in the incident log:\n"
        "• *User Impact*: paged &lt;!here&gt; about it\n"
        "• *Lessons*: _cleared_"
    )


def test_a_form_with_long_values_is_still_one_slack_accepts():
    fields = [LogFieldInput(f"f{n}", "L" * 3000, "v" * 5000, "h" * 3000) for n in range(120)]
    assert_valid_modal(log_edit_view(fields, incident_id="INC-1", private_metadata="{}"))
