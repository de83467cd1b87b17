"""bot.blocks.choices: the playbook list and suggestion, and the customer-wording warning."""

from bot.blocks.choices import (
    customer_warning_blocks,
    playbook_choices_text,
    playbook_suggestion_blocks,
)
from bot.blocks.ids import ActionId
from tests.blocks.slack_rules import HOSTILE, assert_never_pings, assert_valid_blocks

CHOICES = [
    ("db-failover", "Database failover", "SEV-1"),
    ("refund-twice", "Refunds executed twice", "SEV-2"),
    ("status-page", "Status page down", "SEV-3"),
]


def test_no_playbooks():
    assert playbook_choices_text([], None) == "This pack has no playbooks."
    assert playbook_choices_text([], "db-failover") == "This pack has no playbooks."


def test_playbooks_in_pack_order_without_a_suggestion():
    assert playbook_choices_text(CHOICES, None) == (
        "*Playbooks* — run one with `/incident playbook <id>`\n"
        "• `db-failover` — Database failover (SEV-1)\n"
        "• `refund-twice` — Refunds executed twice (SEV-2)\n"
        "• `status-page` — Status page down (SEV-3)"
    )


def test_the_suggestion_comes_first_and_starred():
    assert playbook_choices_text(CHOICES, "refund-twice") == (
        "*Playbooks* — run one with `/incident playbook <id>`\n"
        "• `refund-twice` — Refunds executed twice (SEV-2) :star: suggested\n"
        "• `db-failover` — Database failover (SEV-1)\n"
        "• `status-page` — Status page down (SEV-3)"
    )


def test_a_suggestion_not_in_the_list_changes_nothing():
    assert playbook_choices_text(CHOICES, "gone") == playbook_choices_text(CHOICES, None)


def test_playbook_titles_are_escaped_and_clipped():
    text = playbook_choices_text([("p1", HOSTILE, "SEV-1"), ("p2", "L" * 1000, "SEV-2")], None)
    assert_never_pings(text)
    assert "• `p2` — " + "L" * 199 + "… (SEV-2)" in text


def test_suggestion_offers_a_button_that_attaches_the_playbook():
    blocks = playbook_suggestion_blocks("refund-twice", "Refunds executed twice")
    assert_valid_blocks(blocks)
    assert blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":bulb: Suggested playbook: *Refunds executed twice* (`refund-twice`)",
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Run this playbook", "emoji": True},
                    "action_id": ActionId.ATTACH_PLAYBOOK.value,
                    "value": "refund-twice",
                    "style": "primary",
                }
            ],
        },
    ]


def test_suggestion_of_a_long_hostile_title_fits_and_never_pings():
    blocks = playbook_suggestion_blocks("p1", HOSTILE * 100)
    assert_valid_blocks(blocks)
    assert_never_pings(blocks)


def test_customer_warning_names_the_wording_and_offers_post_or_cancel():
    blocks = customer_warning_blocks(
        found=["root cause", "data loss"],
        template="We are investigating an issue with payments.",
        text="Root cause: data loss in the payments DB",
        draft_id="draft-7",
    )
    assert_valid_blocks(blocks)
    assert [b["type"] for b in blocks] == ["section", "section", "section", "actions"]
    assert blocks[0]["text"]["text"] == (
        ":warning: This customer update uses wording the pack says to avoid: "
        "“root cause”, “data loss”. Nothing has been posted yet."
    )
    assert blocks[1]["text"]["text"] == (
        "*Suggested wording*\nWe are investigating an issue with payments."
    )
    assert blocks[2]["text"]["text"] == "*Your draft*\nRoot cause: data loss in the payments DB"
    post, cancel = blocks[3]["elements"]
    assert (post["action_id"], post["value"], post["text"]["text"], post["style"]) == (
        ActionId.POST_ANYWAY,
        "draft-7",
        "Post anyway",
        "danger",
    )
    assert (cancel["action_id"], cancel["value"], cancel["text"]["text"]) == (
        ActionId.CANCEL_DRAFT,
        "draft-7",
        "Cancel",
    )
    assert "style" not in cancel


def test_customer_warning_of_a_long_hostile_draft_fits_and_never_pings():
    blocks = customer_warning_blocks(
        found=["x" * 5000], template=HOSTILE * 100, text=HOSTILE * 100, draft_id="d1"
    )
    assert_valid_blocks(blocks)
    assert_never_pings(blocks)
    assert len(blocks[2]["text"]["text"]) == 2900


def test_a_suggestion_names_the_signals_that_tell_the_playbook_applies():
    blocks = playbook_suggestion_blocks(
        "payment-down", "Payment system down", ["Stripe connectivity lost", "Checkout <!here>"]
    )
    assert blocks[0]["text"]["text"] == (
        ":bulb: Suggested playbook: *Payment system down* (`payment-down`)\n"
        "It fits when you see: Stripe connectivity lost; Checkout &lt;!here&gt;"
    )


def test_a_suggestion_says_what_the_playbook_is_for():
    blocks = playbook_suggestion_blocks(
        "deal-stuck", "Deal stuck", description="Deals that stay in one state over 7 days."
    )
    assert blocks[0]["text"]["text"] == (
        ":bulb: Suggested playbook: *Deal stuck* (`deal-stuck`)\n"
        "Deals that stay in one state over 7 days."
    )
