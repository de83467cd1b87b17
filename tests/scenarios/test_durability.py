"""Acknowledged means kept: declarations acked just before `kill -9` are finished after the
restart (or by a surviving replica), each exactly once: one incident, one channel, one
card, one announcement. Real bot processes, on SQLite, PostgreSQL and over Socket Mode.

After the kill the test does not sit out the dead process's leases (10-15 s): it runs them
out in the database (`leases_run_out`), which is all that waiting would change, checks that
the kill did leave work behind, and waits until nothing is owed any more before it counts."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp
from sqlmodel import select

from sandbox.slack import FakeSlack, slash_command_form
from storage import repo
from storage.db import Database
from storage.models import Alert, AlertProposal
from tests.conftest import postgres_database
from tests.processes import BotProcess, leases_run_out, wait_until_done

BURST = 12
REPLAY_TIMEOUT = 30.0  # the leases are run out by the test; generous for slow hosts


def titles(tag: str) -> list[str]:
    return [f"{tag} {n:02d}" for n in range(BURST)]


def kind_of(message) -> str | None:
    return ((message.metadata or {}).get("event_payload") or {}).get("kind")


def incident_of(message) -> str | None:
    return ((message.metadata or {}).get("event_payload") or {}).get("incident_id")


def channels_for(fake: FakeSlack, title: str) -> list:
    slug = "-" + title.lower().replace(" ", "-")
    return [
        c for c in fake.channels.values() if c.name.startswith("inc-") and c.name.endswith(slug)
    ]


def all_set_up(fake: FakeSlack, names: list[str]) -> bool:
    announced = Counter(
        incident_of(m) for m in fake.messages("incidents") if kind_of(m) == "announcement"
    )
    for title in names:
        found = channels_for(fake, title)
        if len(found) != 1 or not found[0].pins:
            return False
    return len(announced) >= len(names)


async def assert_each_declared_once(fake: FakeSlack, names: list[str], url: str) -> None:
    # Every delivery handled, every setup finished, every owed post made: from here on
    # nothing more is posted, so the counts below are final.
    await wait_until_done(url, timeout=REPLAY_TIMEOUT)
    assert all_set_up(fake, names)
    for title in names:
        [channel] = channels_for(fake, title)
        cards = [m for m in fake.messages(channel.id) if kind_of(m) == "card"]
        assert len(cards) == 1, f"{title}: {len(cards)} cards"
        assert channel.pins == [cards[0].ts]
    announced = Counter(
        incident_of(m) for m in fake.messages("incidents") if kind_of(m) == "announcement"
    )
    assert len(announced) == len(names) and set(announced.values()) == {1}, announced
    db = Database(url)
    try:
        async with db.reader() as session:
            assert await repo.count_incidents(session=session) == len(names)
    finally:
        await db.dispose()


async def burst_then_kill(fake: FakeSlack, bot: BotProcess, names: list[str]) -> None:
    """Declare every title at once, and kill -9 the bot the moment the last ack arrives."""
    answers = await asyncio.gather(*(bot.command_answer(f"declare sev2 {t}") for t in names))
    bot.kill()
    fake.latency = 0.0  # Slack was slow only so that the kill lands mid-work
    assert [status for status, _ in answers] == [200] * len(names)
    assert not [body for _, body in answers if "Nothing was recorded" in body]


async def kill_cut_work_off(url: str, dead: BotProcess) -> None:
    """Run out the dead process's leases, and check that it did leave work behind."""
    cut = await leases_run_out(url, dead)
    assert any(cut.values()), "the kill came after all the work was done: nothing to prove"


async def _killed_and_restarted(fake: FakeSlack, tmp_path, url: str) -> None:
    fake.latency = 0.05  # setup is still under way when the bot dies
    bot = BotProcess(fake, url, "default", tmp_path / "bot.log")
    await bot.start()
    names = titles("Burst")
    try:
        await burst_then_kill(fake, bot, names)
        await kill_cut_work_off(url, bot)
        await bot.start()
        await assert_each_declared_once(fake, names, url)
    finally:
        bot.kill()


async def test_declarations_acked_before_kill_9_are_finished_once_on_sqlite(fake, tmp_path):
    await _killed_and_restarted(fake, tmp_path, f"sqlite:///{tmp_path / 'bot.db'}")


async def test_declarations_acked_before_kill_9_are_finished_once_on_postgres(fake, tmp_path):
    async with postgres_database() as url:
        await _killed_and_restarted(fake, tmp_path, url)


async def test_a_surviving_replica_finishes_what_a_killed_one_acked(fake, tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    fake.latency = 0.05
    doomed = BotProcess(fake, url, "default", tmp_path / "a.log")
    survivor = BotProcess(fake, url, "default", tmp_path / "b.log")
    await asyncio.gather(doomed.start(), survivor.start())
    names = titles("Replica")
    try:
        await burst_then_kill(fake, doomed, names)
        await kill_cut_work_off(url, doomed)  # the survivor takes over at its next pass
        await assert_each_declared_once(fake, names, url)
    finally:
        doomed.kill()
        survivor.kill()


async def test_socket_mode_commands_acked_before_kill_9_are_finished_once(fake, tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    fake.latency = 0.05
    bot = BotProcess(fake, url, "default", tmp_path / "bot.log", socket=True)
    await bot.start()
    await fake.wait_socket_connected()
    general = fake.channel_by_name("general").id
    names = titles("Socket")
    try:
        acks = await asyncio.gather(
            *(
                fake.socket_send(
                    "slash_commands",
                    slash_command_form(fake, text=f"declare sev2 {t}", channel_id=general),
                )
                for t in names
            )
        )
        bot.kill()
        fake.latency = 0.0
        assert len(acks) == len(names)
        assert not [a for a in acks if "Nothing was recorded" in str(a.get("payload"))]
        await kill_cut_work_off(url, bot)
        await bot.start()
        await assert_each_declared_once(fake, names, url)
    finally:
        bot.kill()


async def test_alerts_answered_202_before_kill_9_are_routed_once_after_restart(fake, tmp_path):
    from tests.harness import ALERT_TOKEN

    url = f"sqlite:///{tmp_path / 'bot.db'}"
    fake.latency = 0.05  # the questions are still being posted when the bot dies
    bot = BotProcess(fake, url, "default", tmp_path / "bot.log")
    bot.env["ALERT_TOKENS"] = f"monitoring:{ALERT_TOKEN}"
    await bot.start()
    alerts = [
        {"title": f"Group {g} alert {n}", "dedup_key": f"g{g}-{n}", "group": f"group-{g}"}
        for n in range(4)
        for g in range(5)
    ]

    async def send(alert: dict) -> int:
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"http://127.0.0.1:{bot.port}/alerts/generic",
                json=alert,
                headers={"Authorization": f"Bearer {ALERT_TOKEN}"},
            ) as response:
                return response.status

    try:
        statuses = await asyncio.gather(*(send(a) for a in alerts))
        bot.kill()
        fake.latency = 0.0
        assert statuses == [202] * len(alerts)
        await leases_run_out(url, bot)
        await bot.start()
        await wait_until_done(url)
        db = Database(url)
        try:
            async with db.reader() as session:
                rows = (await session.exec(select(Alert))).all()
                proposals = (await session.exec(select(AlertProposal))).all()
        finally:
            await db.dispose()
        assert sorted(r.fingerprint for r in rows) == sorted(a["dedup_key"] for a in alerts)
        assert sorted((p.group_key, p.alerts) for p in proposals) == [
            (f"group-{g}", 4) for g in range(5)
        ]
        questions = [m for m in fake.messages("incidents") if "Declare incident?" in m.text]
        assert len(questions) == 5
    finally:
        bot.kill()
