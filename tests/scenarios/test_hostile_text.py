"""User text never pings anyone: hostile text sent through every command that echoes text
never reaches Slack as a group mention or a disguised link, in any field of any call
(text fallbacks, blocks, topics, views) or any response_url reply. Real mentions still work.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.scenarios.test_fuzz import ThreadedBot, threaded_bot  # noqa: F401 - the fixture

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<!channel|@channel>",
    "<!subteam^S0123ABC|@oncall>",
    "<!subteam^S0123ABC>",
    "<https://evil.example|click here>",
    "<http://evil.example/x|https://good.example>",
    "&lt;!channel&gt;",
    "&lt;https://evil.example|docs&gt;",
    "@channel",
    "<@U_BOB>",
]
FORBIDDEN = re.compile(
    r"<!(?:channel|here|everyone)(?:\|[^<>]*)?>"
    r"|<!subteam\^"
    r"|<https?://[^<>|\s]+\|"
)
WORDS = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=12)
TEXT = st.lists(st.sampled_from(HOSTILE) | WORDS, min_size=1, max_size=6).map(" ".join)
# Every hostile fragment is sent by the two explicit examples (in both orders, so a field
# that clips its text still sees each one); a few derandomized examples mix them with
# arbitrary words, the same ones on every run.
SETTINGS = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def strings(value: Any) -> list[str]:
    """Every string inside a JSON-like value (keys included), JSON strings decoded too."""
    if isinstance(value, str):
        try:
            inner = json.loads(value)
        except ValueError:
            return [value]
        return [value, *strings(inner)] if isinstance(inner, dict | list) else [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def everything_sent(bot: ThreadedBot, calls_before: int) -> list[str]:
    fake = bot.fake
    sent = [s for call in fake.calls[calls_before:] for s in strings(call.args)]
    sent += [s for binding in fake.response_urls.values() for s in strings(binding.posts)]
    sent += [s for view in fake.views.values() for s in strings(view.view)]
    return sent


def run_commands(bot: ThreadedBot, text: str) -> str:
    """Declare with the text as title, then send it through every echoing command."""

    async def go() -> str:
        fake, harness = bot.fake, bot.bot
        before = set(fake.channels)
        await harness.command(f"declare sev2 Hostile {text}")
        await fake.wait_for(
            lambda: any(c.pins for cid, c in fake.channels.items() if cid not in before),
            timeout=10,
        )
        channel = next(c for cid, c in fake.channels.items() if cid not in before)
        # The echoing commands are independent of each other: sent side by side.
        echoing = (
            f"update {text}",
            f"update --customer {text}",
            f"note {text}",
            f"severity {text}",
            f"status {text}",
            f"role {text} <@U_BOB>",
            f"playbook {text}",
            f"{text}",
        )
        await asyncio.gather(*(harness.command(c, channel=channel.id) for c in echoing))
        # Handled: every listener is done with its delivery (it leaves the working set).
        await fake.wait_for(lambda: not harness.intake.working, timeout=10)
        await harness.command(f"resolve {text}", channel=channel.id)
        await fake.wait_for(lambda: not harness.intake.working, timeout=10)
        await fake.wait_for(
            lambda: any("resolved the incident" in m.text for m in fake.messages(channel.id)),
            timeout=10,
        )
        return channel.id

    return bot.call(go())


@SETTINGS
@given(text=TEXT)
@example(text=" ".join(HOSTILE))
@example(text=" ".join(reversed(HOSTILE)))
def test_hostile_text_never_becomes_a_group_ping_or_a_disguised_link(threaded_bot, text):  # noqa: F811
    calls_before = len(threaded_bot.fake.calls)
    run_commands(threaded_bot, text)
    leaked = [s for s in everything_sent(threaded_bot, calls_before) if FORBIDDEN.search(s)]
    assert not leaked, leaked[:3]


def test_real_user_mentions_still_notify(threaded_bot):  # noqa: F811
    channel = run_commands(threaded_bot, "ask <@U_BOB> about <https://status.example>")
    notes = [m.text for m in threaded_bot.fake.messages(channel) if "Note from" in m.text]
    assert notes and "<@U_BOB>" in notes[-1] and "<https://status.example>" in notes[-1]
