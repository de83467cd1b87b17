"""The checks the builder tests rely on must themselves refuse what Slack refuses."""

import pytest

from tests.blocks.slack_rules import (
    HOSTILE,
    assert_never_pings,
    assert_valid_blocks,
    assert_valid_modal,
)


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_a_plain_section_passes():
    assert_valid_blocks([section("hello")])


@pytest.mark.parametrize(
    "blocks",
    [
        [],
        [section("x")] * 51,
        [{"type": "no_such_block"}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c" * 3001}]}],
        [{**section("a"), "block_id": "same"}, {**section("b"), "block_id": "same"}],
        [{**section("a"), "block_id": "b" * 256}],
        [{**section("a"), "unknown_key": 1}],
    ],
)
def test_blocks_slack_refuses_fail_the_check(blocks):
    with pytest.raises(AssertionError):
        assert_valid_blocks(blocks)


@pytest.mark.parametrize(
    "block",
    [
        section("x" * 3001),
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "value": "v"}
            ],
        },
    ],
)
def test_text_over_slacks_limits_fails_the_check(block):
    with pytest.raises(AssertionError):
        assert_valid_blocks([block])


def test_a_modal_title_over_24_characters_fails_the_check():
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "t" * 25},
        "blocks": [section("x")],
    }
    with pytest.raises(AssertionError):
        assert_valid_modal(view)


@pytest.mark.parametrize(
    "text", ["<!channel>", "hi <!here>", "<!everyone>", "<!subteam^S1|@team>", HOSTILE]
)
def test_broadcasts_fail_the_ping_check(text):
    with pytest.raises(AssertionError):
        assert_never_pings([section(text)])


def test_escaped_broadcasts_and_user_mentions_pass_the_ping_check():
    assert_never_pings([section("&lt;!channel&gt; <@U123> <#C1> @here")])
