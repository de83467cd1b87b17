"""Real processes: a missed reminder fires once after kill -9; two replicas post once."""

import asyncio
from pathlib import Path

from storage import repo
from storage.db import Database
from tests.conftest import postgres_database
from tests.processes import BotProcess

FAST = str(Path(__file__).resolve().parents[1] / "packs" / "fast.yml")


def reminders(fake, channel):
    return [m for m in fake.messages(channel.id) if "No internal update" in m.text]


async def declared_channel(fake, bot, text):
    before = set(fake.channels)
    assert await bot.command(f"declare {text}") == 200
    await fake.wait_for(
        lambda: any(c.pins for cid, c in fake.channels.items() if cid not in before), timeout=10
    )
    return next(c for cid, c in fake.channels.items() if cid not in before)


async def test_missed_reminder_fires_once_after_kill_and_restart(fake, tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    bot = BotProcess(fake, url, FAST, tmp_path / "bot.log")
    await bot.start()
    try:
        channel = await declared_channel(fake, bot, "sev2 Restart drill")
        bot.kill()
        assert not reminders(fake, channel)
        await asyncio.sleep(8)  # about 2.7 missed 3 s cadences
        await bot.start()
        await fake.wait_for(lambda: reminders(fake, channel), timeout=5)
        await asyncio.sleep(1.5)
        assert len(reminders(fake, channel)) == 1  # coalesced, not replayed
        await fake.wait_for(lambda: len(reminders(fake, channel)) == 2, timeout=5)
    finally:
        bot.kill()


async def _two_replicas_post_once(fake, tmp_path, url):
    a = BotProcess(fake, url, FAST, tmp_path / "a.log")
    b = BotProcess(fake, url, FAST, tmp_path / "b.log")
    await a.start()
    await b.start()
    try:
        channel = await declared_channel(fake, a, "sev1 Replica drill")
        await asyncio.sleep(7.5)
        internal = reminders(fake, channel)
        escalations = [m for m in fake.messages(channel.id) if "Escalation" in m.text]
        assert 3 <= len(internal) <= 4
        assert len(escalations) == 1
        posted = [
            c.time
            for c in fake.calls_to("chat.postMessage")
            if "No internal update" in str(c.args.get("text", ""))
        ]
        assert len(posted) == len(internal)
        gaps = [y - x for x, y in zip(posted, posted[1:], strict=False)]
        assert all(gap > 1.5 for gap in gaps), gaps  # no two posts for one due time
        db = Database(url)
        try:
            async with db.session() as session:
                incident = await repo.get_by_channel(session=session, channel_id=channel.id)
                kinds = [e.kind for e in await repo.timeline(session=session, incident=incident.id)]
        finally:
            await db.dispose()
        sent = kinds.count("reminder_sent")
        customer = [m for m in fake.messages(channel.id) if "No customer update" in m.text]
        assert sent == len(internal) + len(customer)  # the timeline shows each firing once
        assert kinds.count("escalated") == 1
    finally:
        a.kill()
        b.kill()


async def test_two_processes_on_one_sqlite_file_post_each_reminder_once(fake, tmp_path):
    await _two_replicas_post_once(fake, tmp_path, f"sqlite:///{tmp_path / 'shared.db'}")


async def test_two_processes_on_postgres_post_each_reminder_once(fake, tmp_path):
    async with postgres_database() as url:
        await _two_replicas_post_once(fake, tmp_path, url)
