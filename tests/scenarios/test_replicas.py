"""Reminders across restarts and replicas, on a clock the test moves by hand.

Exactly once across replicas lives in the database (a timer is leased and claimed with
conditional UPDATEs), so two bots in this process, each with its own engine on one SQLite
file or one PostgreSQL database, race for the same due timers as two processes would. They
share one `ManualClock`: every firing happens when the test moves the clock and asks both
bots at once to fire what is due, so the counts are exact, not a window of wall time.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.clock import ManualClock
from storage import repo
from tests.conftest import postgres_database
from tests.harness import Bot, running_bot

FAST = str(Path(__file__).resolve().parents[1] / "packs" / "fast.yml")


def reminders(fake, channel, audience: str = "internal") -> list:
    return [m for m in fake.messages(channel.id) if f"No {audience} update" in m.text]


def fired_for(posts: list, start, seconds: list[int]) -> bool:
    """The posts are the firings for these due times (their metadata names the due time)."""
    kinds = [((m.metadata or {}).get("event_payload") or {}).get("kind", "") for m in posts]
    due = [(start + timedelta(seconds=s)).isoformat() for s in seconds]
    if len(kinds) != len(due):
        return False
    return all(k.endswith(f":{d}") for k, d in zip(kinds, due, strict=True))


async def timeline_kinds(bot: Bot, channel) -> list[str]:
    async with bot.db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        return [e.kind for e in await repo.timeline(session=session, incident=incident.id)]


def fast_bot(fake, tmp_path, url: str, clock: ManualClock):
    """A bot in this process on the database at `url`, with the test's clock and fast pack."""
    return running_bot(fake, tmp_path, database_url=url, clock=clock, playbook_pack=FAST)


async def fire_due(*bots: Bot) -> None:
    """Every bot fires what is due at once: they race for the same timers."""
    await asyncio.gather(*(bot.run_due_timers() for bot in bots))


async def test_a_reminder_missed_while_the_bot_was_down_fires_once_after_restart(fake, tmp_path):
    """How the bot went down does not matter here (nothing was being fired): what matters
    is that due times passed while no process ran. A `kill -9` is in test_durability."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    clock = ManualClock()
    async with fast_bot(fake, tmp_path, url, clock) as bot:
        channel = await bot.declare("sev2 Restart drill")  # an internal update every 3 s
        declared = clock()
        await fire_due(bot)
        assert not reminders(fake, channel)
    # Down for about 2.7 cadences: the reminders due at 3 s and 6 s find nobody there.
    clock.advance(8)
    async with fast_bot(fake, tmp_path, url, clock) as bot:
        await fire_due(bot)
        assert len(reminders(fake, channel)) == 1  # coalesced, not replayed
        clock.advance(1)  # declared + 9 s: the old plan's next time, passed over
        await fire_due(bot)
        assert len(reminders(fake, channel)) == 1
        clock.advance(2)  # a full cadence after the late firing: the next one
        await fire_due(bot)
        assert len(reminders(fake, channel)) == 2
        # The late firing stands for the first missed due time (3 s); the next one is a
        # cadence after that firing (8 + 3 s), not on the old plan (9 s).
        assert fired_for(reminders(fake, channel), declared, [3, 11])
        assert (await timeline_kinds(bot, channel)).count("reminder_sent") == 2


async def _two_replicas_post_once(fake, tmp_path, url):
    clock = ManualClock()
    async with (
        fast_bot(fake, tmp_path, url, clock) as a,
        fast_bot(fake, tmp_path, url, clock) as b,
    ):
        channel = await a.declare("sev1 Replica drill")
        declared = clock()
        # SEV-1: internal update every 2 s, customer update every 3 s, escalation after 2 s.
        for _ in range(6):
            clock.advance(1)
            await fire_due(a, b)
        internal = reminders(fake, channel)
        customer = reminders(fake, channel, "customer")
        escalations = [m for m in fake.messages(channel.id) if "Escalation" in m.text]
        assert len(internal) == 3  # at 2, 4 and 6 s
        assert len(customer) == 2  # at 3 and 6 s
        assert len(escalations) == 1
        assert fired_for(internal, declared, [2, 4, 6])  # each due time once
        posted = [
            c
            for c in fake.calls_to("chat.postMessage")
            if "No internal update" in str(c.args.get("text", ""))
        ]
        assert len(posted) == 3  # one post per due time, none lost and retried
        kinds = await timeline_kinds(a, channel)
        assert kinds.count("reminder_sent") == 5  # the timeline shows each firing once
        assert kinds.count("escalated") == 1


async def test_two_replicas_on_one_sqlite_file_post_each_reminder_once(fake, tmp_path):
    await _two_replicas_post_once(fake, tmp_path, f"sqlite:///{tmp_path / 'shared.db'}")


async def test_two_replicas_on_postgres_post_each_reminder_once(fake, tmp_path):
    async with postgres_database() as url:
        await _two_replicas_post_once(fake, tmp_path, url)
