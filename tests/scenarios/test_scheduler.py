"""The clocks, in-process, with a pack whose cadences are seconds (tests/packs/fast.yml)."""

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest_asyncio

from bot.blocks.checklist import checklist_block_id
from bot.blocks.ids import ActionId
from bot.services import checklists
from storage import repo
from storage.models import ChecklistTick
from tests.harness import running_bot

FAST = str(Path(__file__).resolve().parents[1] / "packs" / "fast.yml")


@pytest_asyncio.fixture
async def fast_bot(fake, tmp_path):
    async with running_bot(
        fake, tmp_path, playbook_pack=FAST, escalation_contacts="1=U_DAVE;2=S_CTO"
    ) as bot:
        yield bot


def texts(bot, channel, fragment):
    return [m for m in bot.fake.messages(channel.id) if fragment in m.text]


async def events(bot, channel):
    async with bot.db.session() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        return list(await repo.timeline(session=session, incident=incident.id))


async def test_reminders_mention_commander_then_comms_lead(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev1 Payments down")
    await bot.fake.wait_for(lambda: texts(bot, channel, "No internal update"), timeout=4)
    internal = texts(bot, channel, "No internal update")[0]
    assert "<@U_ALICE>" in internal.text and "2 s" in internal.text
    await bot.fake.wait_for(lambda: texts(bot, channel, "No customer update"), timeout=5)
    assert "<@U_ALICE>" in texts(bot, channel, "No customer update")[0].text
    await bot.command("role comms_lead <@U_CAROL>", channel=channel.id)
    await bot.fake.wait_for(
        lambda: any("<@U_CAROL>" in m.text for m in texts(bot, channel, "No customer update")),
        timeout=5,
    )
    recorded = [e for e in await events(bot, channel) if e.kind == "reminder_sent"]
    assert len(recorded) == len(texts(bot, channel, "No internal update")) + len(
        texts(bot, channel, "No customer update")
    )


async def test_posting_an_update_restarts_the_countdown(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev2 Search slow")
    await asyncio.sleep(1.5)
    await bot.command("update looking at it", channel=channel.id)
    await bot.fake.wait_for(lambda: texts(bot, channel, "No internal update"), timeout=6)
    timeline = await events(bot, channel)
    update = next(e for e in timeline if e.kind == "update_posted")
    reminder = next(e for e in timeline if e.kind == "reminder_sent")
    assert reminder.at - update.at >= timedelta(seconds=2.9)
    assert reminder.at - update.at <= timedelta(seconds=4.1)


async def test_severity_change_replans_and_dropping_customer_cadence_stops_it(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev3 Minor thing")
    await bot.command("severity sev1", channel=channel.id)
    await bot.fake.wait_for(lambda: texts(bot, channel, "No internal update"), timeout=4)
    await bot.command("severity sev2", channel=channel.id)
    await bot.fake.wait_for(lambda: channel.topic.startswith("SEV-2"))
    customer_before = len(texts(bot, channel, "No customer update"))
    await asyncio.sleep(3.5)
    assert len(texts(bot, channel, "No customer update")) == customer_before


async def test_resolving_stops_reminders_and_schedules_the_retro(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev1 Quick fix")
    await bot.command("resolve fixed", channel=channel.id)
    await bot.fake.wait_for(lambda: texts(bot, channel, "retrospective"), timeout=5)
    retro = texts(bot, channel, "retrospective")[0]
    assert "<@U_ALICE>" in retro.text and "UTC" in retro.text
    await asyncio.sleep(2.5)
    assert not texts(bot, channel, "No internal update")
    assert not texts(bot, channel, "Escalation")
    kinds = [e.kind for e in await events(bot, channel)]
    assert kinds.count("retro_reminder") == 1


async def test_escalation_notice_is_posted_once_with_the_next_level(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev1 Still broken")
    await bot.fake.wait_for(lambda: texts(bot, channel, "Escalation"), timeout=5)
    await asyncio.sleep(2)
    notices = texts(bot, channel, "Escalation")
    assert len(notices) == 1
    assert "Engineering Manager" in notices[0].text and "<@U_DAVE>" in notices[0].text
    assert "Decide on rollback" in notices[0].text
    assert [e.kind for e in await events(bot, channel)].count("escalated") == 1


async def test_phase_deadline_nudges_once_with_open_steps(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev3 Fire drill --playbook quick")
    await bot.command("role comms_lead <@U_CAROL>", channel=channel.id)
    await bot.fake.wait_for(lambda: texts(bot, channel, "Deadline for"), timeout=5)
    await asyncio.sleep(1)
    nudges = texts(bot, channel, "Deadline for")
    assert len(nudges) == 1
    assert "Check the dashboards" in nudges[0].text and "Tell the customers" in nudges[0].text
    assert "<@U_CAROL>" in nudges[0].text


async def test_daily_checklist_posts_at_its_clock_time_and_records_ticks(fast_bot):
    bot = fast_bot
    checklist = bot.pack.checklist("morning")
    real_now = bot.clock()
    due = checklists.next_checklist_run(checklist, real_now, "UTC")
    bot.clock.advance(due - real_now - timedelta(seconds=1))
    incidents = bot.fake.channel_by_name("incidents")
    await bot.fake.wait_for(
        lambda: any("Morning checks" in m.text for m in bot.fake.messages(incidents.id)), timeout=4
    )
    message = next(m for m in bot.fake.messages(incidents.id) if "Morning checks" in m.text)
    run_id = message.blocks[1]["block_id"].split("|")[1]
    await bot.click(
        user="U_BOB",
        channel=incidents.id,
        ts=message.ts,
        actions=[
            {
                "action_id": ActionId.CHECKLIST_TICK,
                "block_id": checklist_block_id(run_id, 0),
                "type": "checkboxes",
                "selected_options": [{"value": "1"}],
            }
        ],
    )
    await bot.fake.wait_for(
        lambda: "<@U_BOB>" in json.dumps(bot.fake.find_message(incidents.id, message.ts).blocks)
    )
    async with bot.db.session() as session:
        tick = await session.get(ChecklistTick, 1)
    assert (tick.item, tick.user_id, tick.checked) == (1, "U_BOB", True)
