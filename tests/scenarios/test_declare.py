"""Declaring through signed slash commands and the modal, asserted on the fake workspace."""

import json
from datetime import UTC, datetime

import pytest_asyncio

from bot.blocks.ids import ActionId, BlockId, CallbackId
from bot.clock import ManualClock
from storage import repo
from tests.harness import running_bot

TODAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def bot(fake, tmp_path):
    """The bot on a clock that stands at a known day: IDs and channel names are exact, even
    when the tests run across midnight."""
    async with running_bot(fake, tmp_path, clock=ManualClock(TODAY)) as running:
        yield running


def texts(fake, channel_id):
    return [m.text + json.dumps(m.blocks) for m in fake.messages(channel_id)]


async def test_inline_declaration_sets_up_the_whole_channel(bot):
    fake = bot.fake
    channel = await bot.declare("sev1 Refunds executed twice")
    assert channel.name == f"inc-{TODAY:%Y%m%d}-001-refunds-executed-twice"
    assert {"U_ALICE", fake.bot_user_id} <= channel.members
    assert channel.topic == "SEV-1 · Investigating · Commander: <@U_ALICE>"
    card = bot.card(channel)
    rendered = json.dumps(card.blocks)
    incident_id = f"INC-{TODAY:%Y-%m-%d}-001"
    for expected in (
        "Refunds executed twice",
        incident_id,
        "SEV-1",
        "Investigating",
        "<@U_ALICE>",
        "Scribe",
        "Communications Lead",
        "Technical Lead",
        "Started",
    ):
        assert expected in rendered, expected
    announcement = texts(fake, fake.channel_by_name("incidents").id)
    assert any(f"<#{channel.id}>" in t and incident_id in t for t in announcement)
    async with bot.db.session() as session:
        stored = await repo.get_by_channel(session=session, channel_id=channel.id)
        events = await repo.timeline(session=session, incident=stored.id)
    assert stored.setup_state == "ready"
    assert [e.kind for e in events] == ["declared"]


async def test_declaration_replies_privately_with_the_id_and_channel(bot):
    status, body, response_url = await bot.command("declare sev2 Checkout slow")
    assert status == 200 and body == ""
    replies = await bot.replies(response_url, 2)
    assert "INC-" in replies[0]["text"]
    channel = bot.fake.channel_by_name(f"inc-{TODAY:%Y%m%d}-001-checkout-slow")
    assert f"<#{channel.id}>" in replies[1]["text"]
    assert all(r.get("response_type", "ephemeral") == "ephemeral" for r in replies)


async def test_ids_and_channels_are_sequential(bot):
    first = await bot.declare("sev3 First thing")
    second = await bot.declare("sev4 Second thing")
    assert first.name.endswith("-001-first-thing")
    assert second.name.endswith("-002-second-thing")


async def test_name_taken_gets_a_suffix(bot):
    taken = f"inc-{TODAY:%Y%m%d}-001-db-down"
    bot.fake.add_channel(taken).creator = "U_DAVE"  # someone else's channel
    channel = await bot.declare("sev2 DB down")
    assert channel.name == taken + "-2"


async def test_unknown_severity_is_refused_and_changes_nothing(bot):
    before = set(bot.fake.channels)
    status, _, url = await bot.command("declare sev9 Something odd")
    assert status == 200
    reply = (await bot.replies(url))[0]["text"]
    assert "`sev9` is not a severity" in reply
    assert set(bot.fake.channels) == before
    async with bot.db.session() as session:
        assert await repo.count_incidents(session=session) == 0


async def test_declare_without_text_opens_the_modal(bot):
    status, _, _ = await bot.command("declare", user="U_BOB")
    assert status == 200
    await bot.fake.wait_for(lambda: len(bot.fake.views) == 1)
    view = next(iter(bot.fake.views.values())).view
    assert view["callback_id"] == CallbackId.DECLARE
    block_ids = [b.get("block_id") for b in view["blocks"]]
    # The severity guidance (each level's examples) is a context block between them.
    assert view["blocks"][2]["type"] == "context"
    assert "SEV-1, e.g. Checkout down for everyone" in view["blocks"][2]["elements"][0]["text"]
    assert [b for b in block_ids if b] == [
        BlockId.TITLE,
        BlockId.SEVERITY,
        BlockId.DESCRIPTION,
        BlockId.PLAYBOOK,
        BlockId.COMMANDER,
        BlockId.PRIVATE,
    ]
    commander = view["blocks"][5]["element"]
    playbooks = [o["value"] for o in view["blocks"][4]["element"]["options"]]
    assert playbooks[:2] == ["__suggest__", "__none__"] and "generic" in playbooks
    assert commander["initial_user"] == "U_BOB"
    severity_options = [o["value"] for o in view["blocks"][1]["element"]["options"]]
    assert severity_options == ["sev1", "sev2", "sev3", "sev4"]


def form(title="", severity=None, description="", commander=None):
    return {
        BlockId.TITLE: {ActionId.TITLE: {"type": "plain_text_input", "value": title}},
        BlockId.SEVERITY: {
            ActionId.SEVERITY: {
                "type": "static_select",
                "selected_option": {"value": severity} if severity else None,
            }
        },
        BlockId.DESCRIPTION: {
            ActionId.DESCRIPTION: {"type": "plain_text_input", "value": description}
        },
        BlockId.COMMANDER: {
            ActionId.COMMANDER: {"type": "users_select", "selected_user": commander}
        },
    }


async def test_modal_shows_field_errors_and_declares_nothing(bot):
    status, body = await bot.submit(
        user="U_ALICE", callback_id=CallbackId.DECLARE, values=form(title="  ", severity="sev7")
    )
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {BlockId.TITLE, BlockId.SEVERITY}
    async with bot.db.session() as session:
        assert await repo.count_incidents(session=session) == 0


async def test_modal_declaration_with_another_commander_and_description(bot):
    general = bot.fake.channel_by_name("general")
    status, body = await bot.submit(
        user="U_ALICE",
        callback_id=CallbackId.DECLARE,
        values=form(
            title="Payments failing", severity="sev2", description="Stripe 500s", commander="U_BOB"
        ),
        private_metadata=json.dumps({"channel_id": general.id}),
    )
    assert status == 200 and body == ""
    name = f"inc-{TODAY:%Y%m%d}-001-payments-failing"
    await bot.fake.wait_for(
        lambda: (
            bot.fake.channel_by_name(name) is not None and bool(bot.fake.channel_by_name(name).pins)
        )
    )
    channel = bot.fake.channel_by_name(name)
    assert {"U_ALICE", "U_BOB"} <= channel.members
    assert channel.topic == "SEV-2 · Investigating · Commander: <@U_BOB>"
    rendered = json.dumps(bot.card(channel).blocks)
    assert "Stripe 500s" in rendered and "<@U_BOB>" in rendered
    await bot.fake.wait_for(
        lambda: any(e.user == "U_ALICE" and channel.id in e.text for e in bot.fake.ephemerals)
    )
