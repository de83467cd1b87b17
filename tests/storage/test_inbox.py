"""The request inbox and the intake in front of it, on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg
import pytest

from bot.intake import (
    HANDLING,
    LEASE,
    AlreadyHandled,
    Delivery,
    Intake,
    NotRecorded,
    database_unavailable,
)
from bot.services.unit import unit_of_work
from storage import inbox
from storage.db import Database

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def intake_at(db: Database, now: datetime = NOW) -> Intake:
    return Intake(db=db, clock=lambda: now)


async def states(db: Database) -> dict[str, int]:
    async with db.reader() as session:
        return await inbox.count_by_state(session=session)


async def test_a_key_is_new_once_even_within_one_batch(db):
    intake = intake_at(db)
    results = await asyncio.gather(
        *(intake.admit(key=key, kind="command", payload={"n": i}) for i, key in enumerate("aab"))
    )
    assert sorted(results) == [False, True, True]
    assert await intake.admit(key="a", kind="command", payload={}) is False
    assert await states(db) == {inbox.PENDING: 2}


async def test_a_burst_is_a_few_transactions_not_one_each(db, monkeypatch):
    intake = intake_at(db)
    flushes = 0
    real_admit = inbox.admit

    async def counted(**kwargs):
        nonlocal flushes
        flushes += 1
        return await real_admit(**kwargs)

    monkeypatch.setattr(inbox, "admit", counted)
    results = await asyncio.gather(
        *(intake.admit(key=f"k{i}", kind="command", payload={}) for i in range(50))
    )
    assert results == [True] * 50
    # All 50 were queued before the first flush ran: one transaction holds them all.
    assert flushes == 1


async def test_the_effect_and_the_delivery_commit_together_exactly_once(db):
    intake = intake_at(db)
    assert await intake.admit(key="once", kind="command", payload={})

    async def handle() -> str:
        HANDLING.set(Delivery("once"))
        async with unit_of_work(db) as session:
            await inbox.renew(session=session, keys=["once"], until=NOW)  # any write
        return "done"

    first = await asyncio.create_task(handle())
    with pytest.raises(AlreadyHandled):
        await asyncio.create_task(handle())
    assert first == "done"
    assert await states(db) == {inbox.DONE: 1}


async def test_a_delivery_admitted_with_its_effect_is_kept_only_with_it(db):
    async def declare(fail: bool) -> None:
        HANDLING.set(Delivery.with_effect("view:x", "view", {"v": 1}, NOW))
        async with unit_of_work(db):
            if fail:
                raise RuntimeError("the declaration failed")

    with pytest.raises(RuntimeError):
        await asyncio.create_task(declare(fail=True))
    assert await states(db) == {}
    await asyncio.create_task(declare(fail=False))
    with pytest.raises(AlreadyHandled):  # the same form submitted again
        await asyncio.create_task(declare(fail=False))
    assert await states(db) == {inbox.DONE: 1}


async def test_stalled_deliveries_are_replayed_once_across_replicas(db):
    assert await intake_at(db).admit(key="orphan", kind="command", payload={"text": "x"})
    later = NOW + LEASE + timedelta(seconds=1)
    replayed: list[tuple[str, dict]] = []

    async def replay(key: str, payload: dict) -> None:
        replayed.append((key, payload))

    replicas = [intake_at(db, later), intake_at(db, later)]
    taken = await asyncio.gather(*(r.replay_stalled(replay, replay) for r in replicas))
    assert sorted(taken) == [0, 1]
    assert replayed == [("orphan", {"text": "x"})]


async def test_a_lease_renewed_by_a_live_handler_is_not_taken_over(db):
    live = intake_at(db)
    assert await live.admit(key="busy", kind="command", payload={})
    live.clock = lambda: NOW + LEASE  # still working on it when the lease would run out
    await live.renew_leases()
    other = intake_at(db, NOW + LEASE + timedelta(seconds=1))
    assert await other.replay_stalled(_never, _never) == 0


async def test_a_delivery_that_keeps_failing_is_given_up_and_its_sender_told(db):
    assert await intake_at(db).admit(key="doomed", kind="command", payload={"p": 1})
    told: list[dict] = []

    async def tell(payload: dict) -> None:
        told.append(payload)

    async def crash(key: str, payload: dict) -> None:
        pass  # the replay "dies" again: the row stays pending

    when = NOW
    for _ in range(4):
        when += LEASE + timedelta(seconds=1)
        await intake_at(db, when).replay_stalled(crash, tell)
    assert told == [{"p": 1}]
    assert await states(db) == {inbox.FAILED: 1}


async def test_an_unreachable_database_is_not_recorded_at_once():
    broken = Database("postgresql://nobody@127.0.0.1:1/none")
    try:
        with pytest.raises(NotRecorded):
            await intake_at(broken).admit(key="k", kind="command", payload={})
    finally:
        await broken.dispose()


async def _never(*_: object) -> None:
    raise AssertionError("replayed a delivery that a live process is handling")


async def test_a_refused_delivery_sent_again_is_taken_as_new(db):
    intake = intake_at(db)
    assert await intake.admit(key="ev1", kind="event", payload={})
    async with db.transaction() as session:
        await inbox.refuse(session=session, keys=["ev1"])
    assert await intake.admit(key="ev1", kind="event", payload={"retry": 1})
    assert await states(db) == {inbox.PENDING: 1}
    assert await intake.admit(key="ev1", kind="event", payload={}) is False


async def test_a_commit_that_lands_after_the_answer_is_refused_not_kept(db, monkeypatch):
    from sqlmodel.ext.asyncio.session import AsyncSession

    intake = intake_at(db)
    intake.budget = 0.1
    real_commit = AsyncSession.commit
    answered = asyncio.Event()

    async def slow_commit(self):
        await answered.wait()  # the commit itself lands only after the sender was answered
        await real_commit(self)

    monkeypatch.setattr(AsyncSession, "commit", slow_commit)
    with pytest.raises(NotRecorded):
        await intake.admit(key="late", kind="command", payload={})
    answered.set()
    while intake.tasks() and not all(t.done() for t in intake.tasks()):
        await asyncio.sleep(0.05)
    monkeypatch.setattr(AsyncSession, "commit", real_commit)
    assert await states(db) == {inbox.REFUSED: 1}
    assert await intake_at(db, NOW + LEASE * 10).replay_stalled(_never, _never) == 0


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"), True),
        (asyncpg.exceptions.ConnectionDoesNotExistError("gone"), True),
        (asyncpg.exceptions.DiskFullError("no space"), True),
        (asyncpg.exceptions.UniqueViolationError("dup"), False),
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), False),  # slack_sdk's call timeout, not the database
        (aiohttp.ClientOSError(104, "reset"), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_counts_as_the_database_being_unavailable(error, unavailable):
    assert database_unavailable(error) is unavailable
