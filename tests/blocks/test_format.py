"""bot.blocks.format: mentions, times and user text made safe for mrkdwn."""

from datetime import UTC, datetime

import pytest

from bot.blocks.format import (
    HEADER_LIMIT,
    SECTION_LIMIT,
    channel,
    slack_date,
    user,
    user_text,
    users,
    utc,
)
from tests.blocks.slack_rules import HOSTILE, assert_never_pings

AT = datetime(2026, 11, 22, 14, 2, 59, tzinfo=UTC)


def test_slack_limits():
    assert (SECTION_LIMIT, HEADER_LIMIT) == (3000, 150)


def test_user_is_a_mention_or_a_dash():
    assert user("U123") == "<@U123>"
    assert user(None) == "—"
    assert user("") == "—"


def test_users_are_comma_separated_mentions_or_a_dash():
    assert users(("U1", "U2")) == "<@U1>, <@U2>"
    assert users(["W9"]) == "<@W9>"
    assert users(()) == "—"
    assert users([]) == "—"


def test_channel_is_a_link_or_a_dash():
    assert channel("C42") == "<#C42>"
    assert channel(None) == "—"


def test_utc_is_minutes_precision_and_says_utc():
    assert utc(AT) == "2026-11-22 14:02 UTC"


def test_slack_date_shows_in_the_readers_zone_with_a_utc_fallback():
    assert slack_date(AT) == "<!date^1795356179^{date_short_pretty} {time}|2026-11-22 14:02 UTC>"


def test_user_text_is_escaped_and_short_text_kept_whole():
    assert user_text("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert user_text("ask <@U123> in <#C42>") == "ask <@U123> in <#C42>"


def test_user_text_never_pings():
    out = user_text(HOSTILE)
    assert_never_pings(out)
    assert "&lt;!channel&gt;" in out
    assert "&lt;!subteam^S0ONCALL|@oncall&gt;" in out


def test_a_typed_at_here_stays_plain_text_not_a_special_mention():
    # `@here` typed as text only pings if posted with link_names/parse=full, which the bot
    # never uses; it must not be turned into the `<!here>` token.
    assert user_text("@here @channel look") == "@here @channel look"


@pytest.mark.parametrize("limit", [SECTION_LIMIT, 2900, 300, 75])
def test_long_user_text_is_clipped_to_the_limit_with_an_ellipsis(limit):
    out = user_text("x" * 10_000, limit)
    assert len(out) == limit
    assert out == "x" * (limit - 1) + "…"


def test_user_text_defaults_to_the_section_limit():
    assert len(user_text("y" * 10_000)) == 3000


def test_clipping_escaped_text_never_leaves_half_an_escape():
    assert user_text("<" * 1000, 10) == "&lt;&lt;…"
    assert user_text("&" * 1000, 12) == "&amp;&amp;…"


def test_clipping_never_leaves_half_a_mention():
    assert user_text("see " + "<@U123456789>" * 5, 20) == "see <@U123456789>…"
