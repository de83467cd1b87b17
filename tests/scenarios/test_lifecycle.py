"""Stakeholder threads and the channel lifecycle (issue 12), through the fake Slack.

Updates are replied under the announcement in INCIDENTS_CHANNEL (none at a severity the
pack does not announce); a resolved incident's channel is archived after
ARCHIVE_AFTER_DAYS of quiet, with a notice a day before, a person's message postpones it,
and reopening unarchives it. Time is a ManualClock."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import ManualClock
from storage import repo
from tests.harness import running_bot

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Its retrospective is reminded seconds after resolving, so the archive waits for nothing.
FAST = str(Path(__file__).resolve().parents[1] / "packs" / "fast.yml")


async def settled(bot):
    await bot.fake.wait_for(lambda: not bot.intake.working)


async def run(bot, text, channel):
    status, _, _ = await bot.command(text, channel=channel.id)
    assert status == 200
    await settled(bot)


async def incident_of(bot, channel):
    async with bot.db.reader() as session:
        return await repo.get_by_channel(session=session, channel_id=channel.id)


async def test_every_update_is_replied_under_the_announcement(bot):
    channel = await bot.declare("sev1 Refunds executed twice")
    incident = await incident_of(bot, channel)
    await run(bot, "update Replicas drained", channel)
    await run(bot, "update --customer Some refunds are delayed", channel)

    def replies():
        return [
            m
            for m in bot.fake.messages(incident.announcement_channel)
            if m.thread_ts == incident.announcement_ts
        ]

    await bot.fake.wait_for(lambda: len(replies()) == 2)
    first, second = replies()
    assert "Status update" in first.text and "Replicas drained" in first.text
    assert "Customer update" in second.text and "Some refunds are delayed" in second.text


async def test_no_thread_at_a_severity_that_is_not_announced(fake, tmp_path):
    async with running_bot(fake, tmp_path, playbook_pack="quickmela") as bot:
        before = set(fake.channels)
        status, _, _ = await bot.command("declare sev4 Tooltip missing")
        assert status == 200
        await fake.wait_for(
            lambda: any(c.pins for cid, c in fake.channels.items() if cid not in before)
        )
        channel = next(c for cid, c in fake.channels.items() if cid not in before)
        await bot.setup_finished(channel.id)
        await run(bot, "update Tooltip back", channel)
        assert [m.text for m in fake.messages("incidents")] == []
        assert len([m for m in fake.messages(channel.id) if "Tooltip back" in m.text]) == 1


async def test_a_quiet_resolved_channel_is_archived_and_reopening_unarchives(fake, tmp_path):
    async with running_bot(
        fake, tmp_path, clock=ManualClock(START), archive_after_days=2, playbook_pack=FAST
    ) as bot:
        channel = await bot.declare("sev2 Checkout slow")
        await run(bot, "resolve fixed", channel)

        async def at(days):
            bot.clock.set(START + timedelta(days=days))
            await bot.run_due_timers()

        def notices():
            return [m for m in fake.messages(channel.id) if "will be archived on" in m.text]

        await at(0.999)
        assert notices() == []
        await at(1)  # a day before the archive (resolved at 0 + 2 days)
        assert len(notices()) == 1 and "2026-03-04 09:00 UTC" in notices()[0].text
        await at(1.5)
        bot_says = {"type": "message", "channel": channel.id, "bot_id": "B_OTHER", "text": "hi"}
        await bot.event(bot_says)
        await bot.event({"type": "message", "channel": channel.id, "user": "U_BOB", "text": "wait"})
        await settled(bot)
        await at(2)  # the first date passes: postponed to 3.5 days
        assert not channel.is_archived and len(notices()) == 1
        await at(2.5)
        assert len(notices()) == 2 and "2026-03-05 21:00 UTC" in notices()[1].text
        await at(3.499)
        assert not channel.is_archived
        await at(3.5)
        assert channel.is_archived
        incident = await incident_of(bot, channel)
        async with bot.db.reader() as session:
            timeline = await repo.timeline(session=session, incident=incident.id)
        assert [e.kind for e in timeline].count("channel_archived") == 1
        assert [e.kind for e in timeline].count("archive_notice") == 2

        await run(bot, "reopen", channel)
        assert not channel.is_archived
        await at(10)
        assert not channel.is_archived and len(notices()) == 2
