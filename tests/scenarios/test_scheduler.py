"""The clocks, in-process, on a clock moved by hand, with a pack whose cadences are seconds
(tests/packs/fast.yml): every firing is checked at the exact time it is due, and nothing
waits for real time to pass."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio

from bot.blocks.checklist import checklist_block_id
from bot.blocks.ids import ActionId
from bot.clock import ManualClock
from storage import repo
from storage.models import ChecklistRun, ChecklistTick
from tests.harness import running_bot

FAST = str(Path(__file__).resolve().parents[1] / "packs" / "fast.yml")
# A Monday, a minute before the fast pack's daily 09:00 checklist.
MORNING = datetime(2026, 3, 2, 8, 59, tzinfo=UTC)


@pytest_asyncio.fixture
async def fast_bot(fake, tmp_path):
    async with running_bot(
        fake,
        tmp_path,
        clock=ManualClock(MORNING),
        playbook_pack=FAST,
        escalation_contacts="1=U_DAVE;2=S_CTO",
    ) as bot:
        yield bot


def texts(bot, channel, fragment):
    return [m for m in bot.fake.messages(channel.id) if fragment in m.text]


async def events(bot, channel):
    async with bot.db.session() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        return list(await repo.timeline(session=session, incident=incident.id))


async def kinds(bot, channel):
    return [e.kind for e in await events(bot, channel)]


async def settled(bot):
    """Wait until every delivery acknowledged so far has been handled (its effect committed)."""
    await bot.fake.wait_for(lambda: not bot.intake.working)


async def advance(bot, seconds):
    """Move the bot's clock on, then fire (and wait for) everything due at the new time."""
    bot.clock.advance(seconds)
    await bot.run_due_timers()


async def run(bot, text, channel):
    """Send `/incident <text>` in a channel and wait until it has been handled."""
    status, _, _ = await bot.command(text, channel=channel.id)
    assert status == 200
    await settled(bot)


async def test_reminders_mention_commander_then_comms_lead(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev1 Payments down")
    t0 = bot.clock()
    await advance(bot, 1.999)
    assert not texts(bot, channel, "No internal update")
    await advance(bot, 0.001)  # t0 + 2 s: the internal cadence
    internal = texts(bot, channel, "No internal update")
    assert len(internal) == 1
    assert "<@U_ALICE>" in internal[0].text and "2 s" in internal[0].text
    assert not texts(bot, channel, "No customer update")
    await advance(bot, 1)  # t0 + 3 s: the customer cadence
    customer = texts(bot, channel, "No customer update")
    assert len(customer) == 1 and "<@U_ALICE>" in customer[0].text
    await run(bot, "role comms_lead <@U_CAROL>", channel)
    await advance(bot, 1)  # t0 + 4 s
    await advance(bot, 2)  # t0 + 6 s
    assert len(texts(bot, channel, "No internal update")) == 3
    customer = texts(bot, channel, "No customer update")
    assert len(customer) == 2 and "<@U_CAROL>" in customer[1].text
    recorded = sorted(
        (e.at - t0, e.data["audience"], e.data["mentioned"])
        for e in await events(bot, channel)
        if e.kind == "reminder_sent"
    )
    assert recorded == [
        (timedelta(seconds=2), "internal", "U_ALICE"),
        (timedelta(seconds=3), "customer", "U_ALICE"),
        (timedelta(seconds=4), "internal", "U_ALICE"),
        (timedelta(seconds=6), "customer", "U_CAROL"),
        (timedelta(seconds=6), "internal", "U_ALICE"),
    ]


async def test_posting_an_update_restarts_the_countdown(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev2 Search slow")
    t0 = bot.clock()
    bot.clock.advance(1.5)
    await run(bot, "update looking at it", channel)
    await advance(bot, 1.5)  # t0 + 3 s: due without the update, not due any more
    assert not texts(bot, channel, "No internal update")
    await advance(bot, 1.499)
    assert not texts(bot, channel, "No internal update")
    await advance(bot, 0.001)  # the update + 3 s
    assert len(texts(bot, channel, "No internal update")) == 1
    timeline = await events(bot, channel)
    update = next(e for e in timeline if e.kind == "update_posted")
    reminder = next(e for e in timeline if e.kind == "reminder_sent")
    assert update.at == t0 + timedelta(seconds=1.5)
    assert reminder.at == update.at + timedelta(seconds=3)


async def test_severity_change_replans_and_dropping_customer_cadence_stops_it(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev3 Minor thing")  # internal every hour
    await run(bot, "severity sev1", channel)  # internal every 2 s, customer every 3 s
    await advance(bot, 2)
    internal = texts(bot, channel, "No internal update")
    assert len(internal) == 1 and "2 s" in internal[0].text
    await run(bot, "severity sev2", channel)  # internal every 3 s, no customer cadence
    assert channel.topic.startswith("SEV-2")
    for _ in range(8):  # to t0 + 10 s, one second at a time
        await advance(bot, 1)
    assert not texts(bot, channel, "No customer update")
    reminders = [e for e in await events(bot, channel) if e.kind == "reminder_sent"]
    assert [e.data["audience"] for e in reminders] == ["internal"] * 4  # at 2, 3, 6 and 9 s
    assert "3 s" in texts(bot, channel, "No internal update")[1].text


async def test_resolving_stops_reminders_and_schedules_the_retro(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev1 Quick fix")
    resolved_at = bot.clock()
    await run(bot, "resolve fixed", channel)
    await advance(bot, 1.999)
    assert not texts(bot, channel, "retrospective")
    await advance(bot, 0.001)  # halfway to the 4 s retrospective deadline
    retro = texts(bot, channel, "retrospective")
    assert len(retro) == 1
    assert "<@U_ALICE>" in retro[0].text and "UTC" in retro[0].text
    for _ in range(8):  # to 10 s after resolving: past every cadence of sev1
        await advance(bot, 1)
    assert not texts(bot, channel, "No internal update")
    assert not texts(bot, channel, "No customer update")
    assert not texts(bot, channel, "Escalation")
    assert len(texts(bot, channel, "retrospective")) == 1
    retros = [e for e in await events(bot, channel) if e.kind == "retro_reminder"]
    assert [e.at for e in retros] == [resolved_at + timedelta(seconds=2)]
    assert "reminder_sent" not in await kinds(bot, channel)
    assert "escalated" not in await kinds(bot, channel)


async def test_escalation_notice_is_posted_once_with_the_next_level(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev1 Still broken")
    t0 = bot.clock()
    await advance(bot, 1.999)
    assert not texts(bot, channel, "Escalation")
    await advance(bot, 0.001)  # escalate_after: 2 s
    notices = texts(bot, channel, "Escalation")
    assert len(notices) == 1
    assert "Engineering Manager" in notices[0].text and "<@U_DAVE>" in notices[0].text
    assert "Decide on rollback" in notices[0].text
    for _ in range(8):
        await advance(bot, 1)
    assert len(texts(bot, channel, "Escalation")) == 1
    escalated = [e for e in await events(bot, channel) if e.kind == "escalated"]
    assert [e.at for e in escalated] == [t0 + timedelta(seconds=2)]


async def test_phase_deadline_nudges_once_with_open_steps(fast_bot):
    bot = fast_bot
    channel = await bot.declare("sev3 Fire drill --playbook quick")
    t0 = bot.clock()
    await run(bot, "role comms_lead <@U_CAROL>", channel)
    await advance(bot, 1.999)
    assert not texts(bot, channel, "Deadline for")
    await advance(bot, 0.001)  # the phase is due within 2 s
    nudges = texts(bot, channel, "Deadline for")
    assert len(nudges) == 1
    assert "Check the dashboards" in nudges[0].text and "Tell the customers" in nudges[0].text
    assert "<@U_CAROL>" in nudges[0].text
    for _ in range(8):
        await advance(bot, 1)
    assert len(texts(bot, channel, "Deadline for")) == 1
    missed = [e for e in await events(bot, channel) if e.kind == "deadline_missed"]
    assert [e.at for e in missed] == [t0 + timedelta(seconds=2)]


async def test_daily_checklist_posts_at_its_clock_time_and_records_ticks(fast_bot):
    bot = fast_bot
    incidents = bot.fake.channel_by_name("incidents")

    def posted():
        return [m for m in bot.fake.messages(incidents.id) if "Morning checks" in m.text]

    await advance(bot, 59.999)
    assert not posted()
    await advance(bot, 0.001)  # 09:00
    assert len(posted()) == 1
    message = posted()[0]
    run_id = message.blocks[1]["block_id"].split("|")[1]
    async with bot.db.session() as session:
        checklist_run = await session.get(ChecklistRun, run_id)
    assert checklist_run.posted_at == MORNING + timedelta(minutes=1)
    await advance(bot, timedelta(hours=23, minutes=59, seconds=59))
    assert len(posted()) == 1  # daily: the next one is at 09:00 tomorrow
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
    await advance(bot, 1)  # 09:00 the next day
    assert len(posted()) == 2


async def test_pack_time_scale_makes_a_pack_s_clocks_fire_in_seconds(fake, tmp_path):
    # escrow-pilot: SEV0 internal updates every 30 min, and a SEV0 not resolved within
    # 15 minutes goes (again) to the on-call engineer; at 60 they come after 30 s and 15 s.
    clock = ManualClock(MORNING)
    async with running_bot(
        fake, tmp_path, clock=clock, playbook_pack="escrow-pilot", pack_time_scale=60
    ) as bot:

        def escalations():
            return [m.text for m in fake.messages(channel.id) if "Escalation" in m.text]

        channel = await bot.declare("sev0 Duplicate ledger entries")
        await advance(bot, 0)
        await fake.wait_for(lambda: len(escalations()) == 2)  # SEV0: at once, levels 2 and 3
        await advance(bot, 14.999)
        assert len(escalations()) == 2
        await advance(bot, 0.001)
        await fake.wait_for(lambda: len(escalations()) == 4)
        assert sum("still open 15 s after declaration" in t for t in escalations()) == 1
        assert sum("no response within 15 s" in t for t in escalations()) == 1
        assert not texts(bot, channel, "No internal update")
        await advance(bot, 15)
        [reminder] = texts(bot, channel, "No internal update")
        assert "30 s" in reminder.text
