"""`/incident stats` on a short seeded history, through the fake Slack, on a ManualClock."""

from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from tests.harness import running_bot

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_stats_per_severity_only_to_the_one_who_asked(fake, tmp_path):
    async with running_bot(fake, tmp_path, clock=ManualClock(START)) as bot:

        async def at(minutes, text=None, channel=None):
            bot.clock.set(START + timedelta(minutes=minutes))
            await bot.run_due_timers()
            if text:
                status, _, _ = await bot.command(text, channel=channel.id if channel else None)
                assert status == 200
                await bot.fake.wait_for(lambda: not bot.intake.working)

        channel = await bot.declare("sev1 Refunds executed twice")
        await at(3, "update Looking at the refund job", channel)
        await at(32, "update Job paused", channel)
        await at(61, "resolve Job fixed", channel)  # the customer reminder fired at 60 min
        _, _, url = await bot.command("stats", user="U_BOB")
        [reply] = await bot.replies(url)
        assert reply.get("response_type", "ephemeral") == "ephemeral"
        assert reply["text"] == (
            "*Incidents of the last 30 days*\n"
            "• *SEV-1*: 1 · first response median 3 min, p90 3 min · "
            "resolved median 1 h 1 min, p90 1 h 1 min · update cadence kept 67%"
        )
        _, _, url = await bot.command("stats 0", user="U_BOB")
        [refused] = await bot.replies(url)
        assert "Give a number of days from 1 to 3660" in refused["text"]
