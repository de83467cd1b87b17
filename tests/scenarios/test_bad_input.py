"""Forged, stale and malformed requests; hostile titles. Never a 5xx, never a side effect."""

import json
import time
from urllib.parse import urlencode

import pytest

from sandbox.slack import sign_request, slash_command_form
from storage import repo
from tests.harness import SECRET


def declare_form(bot, text="declare sev1 Forged"):
    general = bot.fake.channel_by_name("general")
    return urlencode(slash_command_form(bot.fake, text=text, channel_id=general.id)).encode()


async def assert_nothing_happened(bot):
    async with bot.db.session() as session:
        assert await repo.count_incidents(session=session) == 0
    assert not [c for c in bot.fake.channels.values() if c.name.startswith("inc-")]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64},
    ],
)
async def test_unsigned_or_forged_requests_get_401(bot, headers):
    status, _ = await bot.post(
        declare_form(bot),
        content_type="application/x-www-form-urlencoded",
        sign=False,
        headers=headers,
    )
    assert status == 401
    await assert_nothing_happened(bot)


async def test_stale_signature_gets_401(bot):
    body = declare_form(bot)
    stale = sign_request(body, SECRET, timestamp=int(time.time()) - 6 * 60)
    status, _ = await bot.post(
        body, content_type="application/x-www-form-urlencoded", sign=False, headers=stale
    )
    assert status == 401
    await assert_nothing_happened(bot)


async def test_signature_with_the_wrong_secret_gets_401(bot):
    body = declare_form(bot)
    status, _ = await bot.post(
        body,
        content_type="application/x-www-form-urlencoded",
        sign=False,
        headers=sign_request(body, "not-the-secret"),
    )
    assert status == 401
    await assert_nothing_happened(bot)


@pytest.mark.parametrize(
    "body",
    [
        b"payload=%7Bnot-json",
        b"payload=%5B1%2C2%5D",
        b"payload=%22just+a+string%22",
        b"payload=%7B%7D",
        b"payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%22x%22%7D",
        b"\xff\xfe\x00garbage",
        b'{"type": "event_callback", "event": 5}',
        b"[]",
    ],
)
async def test_malformed_bodies_get_4xx_and_the_bot_keeps_working(bot, body):
    ctype = "application/json" if body[:1] in b"[{" else "application/x-www-form-urlencoded"
    status, _ = await bot.post(body, content_type=ctype)
    assert 400 <= status < 500
    await assert_nothing_happened(bot)
    channel = await bot.declare("sev2 Still alive")
    assert channel.name.endswith("still-alive")


async def test_hostile_three_kilobyte_title_is_neutralised_and_clipped(bot):
    title = ("<!channel> <!here> *bold* _it_ `code` <https://evil.example|click> " * 60)[:3000]
    channel = await bot.declare(f"sev1 {title}")
    assert len(channel.name) <= 80
    everything = json.dumps([m.blocks for m in bot.fake.messages(channel.id)]) + channel.topic
    incidents = bot.fake.channel_by_name("incidents")
    everything += json.dumps([m.blocks for m in bot.fake.messages(incidents.id)])
    assert "<!channel>" not in everything and "<!here>" not in everything
    assert not [c for c in bot.fake.calls if c.error in {"invalid_blocks", "msg_too_long"}]
    assert "…" in json.dumps(bot.card(channel).blocks, ensure_ascii=False)
