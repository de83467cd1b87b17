"""bot.blocks.card_forms: the card's Post update and Resolve modals, and reading them back."""

from bot.blocks.card_forms import (
    read_resolve_form,
    read_update_form,
    resolve_form_view,
    update_form_view,
)
from bot.blocks.ids import ActionId, BlockId, CallbackId
from tests.blocks.slack_rules import assert_valid_modal

FIELD = ActionId.CARD_FORM_FIELD


def test_the_update_form_offers_internal_customers_and_each_audience_within_limits():
    audiences = [(f"a{i}", "N" * 200) for i in range(150)]
    view = update_form_view(incident_id="INC-1", audiences=audiences, template="T" * 5000)
    assert_valid_modal(view)
    assert view["callback_id"] == CallbackId.CARD_UPDATE
    [select] = [b for b in view["blocks"] if b.get("block_id") == BlockId.UPDATE_AUDIENCE]
    options = select["element"]["options"]
    assert len(options) == 100
    assert [o["text"]["text"] for o in options[:2]] == ["Internal update", "Customer update"]


def test_reading_the_update_form_back():
    def values(audience):
        return {
            BlockId.UPDATE_AUDIENCE: {FIELD: {"selected_option": {"value": audience}}},
            BlockId.UPDATE_TEXT: {FIELD: {"value": " Recovering "}},
        }

    meta = '{"incident": "INC-1"}'
    internal = read_update_form(values("internal"), meta)
    assert (internal.incident_id, internal.customer, internal.audience) == ("INC-1", False, None)
    assert internal.text == "Recovering"
    assert read_update_form(values("customer"), meta).customer
    named = read_update_form(values("audience:buyer"), "not json")
    assert (named.incident_id, named.customer, named.audience) == ("", True, "buyer")


def test_the_resolve_form_has_three_fields_and_prevention_is_one_action_a_line():
    view = resolve_form_view(incident_id="INC-1")
    assert_valid_modal(view)
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert inputs == [BlockId.RESOLUTION, BlockId.ROOT_CAUSE, BlockId.PREVENTION]
    form = read_resolve_form(
        {
            BlockId.RESOLUTION: {FIELD: {"value": "Rolled back"}},
            BlockId.ROOT_CAUSE: {FIELD: {"value": None}},
            BlockId.PREVENTION: {FIELD: {"value": "- keys\n\n• alerts"}},
        },
        view["private_metadata"],
    )
    assert form == type(form)("INC-1", "Rolled back", "", ("keys", "alerts"))
