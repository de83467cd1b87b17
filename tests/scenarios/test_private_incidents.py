"""Private incidents: a private channel, an announcement without the title, listed to members."""

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
    async with running_bot(fake, tmp_path, clock=ManualClock(TODAY)) as running:
        yield running


async def set_up(bot, before):
    """The new incident's channel and its announcement, once the setup is finished."""
    fake = bot.fake
    new = lambda: [c for cid, c in fake.channels.items() if cid not in before]  # noqa: E731
    await fake.wait_for(lambda: any(c.pins for c in new()))
    channel = new()[0]
    await bot.setup_finished(channel.id)
    async with bot.db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
    announced = fake.channel_by_name("incidents")
    mine = [m for m in fake.messages(announced.id) if incident.id in m.text]
    assert len(mine) == 1
    return channel, incident, mine[0].text + json.dumps(mine[0].blocks)


async def listed(bot, user):
    status, _, url = await bot.command("list", user=user)
    assert status == 200
    return (await bot.replies(url))[0]["text"]


async def test_inline_private_declaration_is_announced_without_title_and_listed_to_members(bot):
    before = set(bot.fake.channels)
    await bot.command("declare sev1 Customer data exposed --private", user="U_ALICE")
    channel, incident, announcement = await set_up(bot, before)
    assert channel.is_private and incident.private
    assert channel.name == f"inc-{TODAY:%Y%m%d}-001-customer-data-exposed"
    assert channel.members == {"U_ALICE", bot.fake.bot_user_id}
    assert incident.title == "Customer data exposed"
    assert "Customer data exposed" not in announcement and channel.id not in announcement
    assert "SEV-1" in announcement and "<@U_ALICE>" in announcement
    assert "A private incident" in announcement
    assert incident.id in await listed(bot, "U_ALICE")
    assert await listed(bot, "U_CAROL") == "No open incidents. :tada:"
    public = await bot.declare("sev3 Typo on the pricing page", user="U_BOB")
    text = await listed(bot, "U_CAROL")
    assert f"<#{public.id}>" in text and incident.id not in text


async def test_the_modal_checkbox_declares_a_private_incident(bot):
    before = set(bot.fake.channels)
    values = {
        BlockId.TITLE: {ActionId.TITLE: {"type": "plain_text_input", "value": "Leaked keys"}},
        BlockId.SEVERITY: {
            ActionId.SEVERITY: {"type": "static_select", "selected_option": {"value": "sev2"}}
        },
        BlockId.COMMANDER: {
            ActionId.COMMANDER: {"type": "users_select", "selected_user": "U_ALICE"}
        },
        BlockId.PRIVATE: {
            ActionId.PRIVATE: {"type": "checkboxes", "selected_options": [{"value": "private"}]}
        },
    }
    status, body = await bot.submit(user="U_ALICE", callback_id=CallbackId.DECLARE, values=values)
    assert (status, body) == (200, "")
    channel, incident, announcement = await set_up(bot, before)
    assert channel.is_private and incident.private
    assert "Leaked keys" not in announcement and "SEV-2" in announcement


async def test_a_pack_playbook_makes_the_incident_private(fake, tmp_path):
    async with running_bot(fake, tmp_path, clock=ManualClock(TODAY), playbook_pack="defcon") as bot:
        before = set(fake.channels)
        await bot.command("declare --playbook security-breach API keys leaked", user="U_BOB")
        channel, incident, announcement = await set_up(bot, before)
        assert channel.is_private and incident.private
        assert incident.playbook_id == "security-breach"
        assert "API keys leaked" not in announcement
        assert incident.id not in await listed(bot, "U_CAROL")


async def test_raised_to_a_private_level_an_incident_becomes_private_and_says_so(fake, tmp_path):
    from storage import repo
    from tests.harness import running_bot
    from tests.playbooks.factories import minimal_pack, write_pack

    data = minimal_pack()
    data["severities"][0]["private"] = True  # SEV-1 is private, SEV-2 public
    path = write_pack(tmp_path, data)
    async with running_bot(fake, tmp_path, playbook_pack=str(path)) as bot:
        channel = await bot.declare("sev2 Odd logins on the admin panel")
        await bot.command("severity sev1", channel=channel.id)

        def told():
            return [m.text for m in fake.messages(channel.id) if "private from now on" in m.text]

        await fake.wait_for(told)
        assert "Slack does not let the bot make this public channel private" in told()[0]
        async with bot.db.reader() as session:
            incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        assert incident.private
        _, _, url = await bot.command("list", user="U_CAROL")
        [listed] = await bot.replies(url)
        assert "Odd logins" not in listed["text"]


async def test_running_a_private_playbook_later_makes_the_incident_private(fake, tmp_path):
    from storage import repo
    from tests.harness import running_bot

    async with running_bot(fake, tmp_path, playbook_pack="defcon") as bot:
        channel = await bot.declare("defcon2 Odd admin logins")
        await bot.command("playbook security-breach", channel=channel.id)
        await fake.wait_for(
            lambda: any("private from now on" in m.text for m in fake.messages(channel.id))
        )
        async with bot.db.reader() as session:
            incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        assert incident.private
