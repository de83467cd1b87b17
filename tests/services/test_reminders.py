"""bot.services.reminders: a due timer is fired once, recorded once and posted once.

Calls `fire` directly (no scheduler, no HTTP) with the timers due at a `ManualClock`, on a
real database and the local fake Slack. The incident is declared and its channel set up by
the use cases themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.replica import Replica
from bot.services.channel_setup import set_up_incident
from bot.services.declare import Declaration, PlaybookChoice, declare_incident
from bot.services.reminders import fire
from bot.settings import Settings
from bot.slack_gateway import SlackGateway, make_client
from playbooks.business_calendar import BusinessCalendar
from playbooks.loader import load_pack
from playbooks.model import Pack
from sandbox.slack import FakeSlack
from storage import repo, timers
from storage.db import Database
from storage.models import Event, OutboxPost, Timer
from tests.harness import make_settings

DEFAULT = load_pack("default")
FAST = load_pack(Path(__file__).parents[1] / "packs" / "fast.yml")
MON_0900 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REMINDER = (
    ":alarm_clock: No internal update for 30 min: <@U_BOB>, post one with `/incident update …`."
)


@dataclass
class World:
    fake: FakeSlack
    db: Database
    slack: SlackGateway
    settings: Settings
    clock: ManualClock
    replica: Replica
    incident_id: str = ""

    async def declare(self, severity: str) -> str:
        declaration = Declaration(
            title="Checkout is down",
            severity=severity,
            declarer="U_ALICE",
            commander="U_BOB",
            choice=PlaybookChoice.NONE,
        )
        incident = await declare_incident(
            declaration,
            db=self.db,
            pack=DEFAULT,
            clock=self.clock,
            replica=self.replica,
            calendar=BusinessCalendar(),
        )
        ready = await set_up_incident(
            incident.id,
            db=self.db,
            slack=self.slack,
            pack=DEFAULT,
            clock=self.clock,
            settings=self.settings,
            replica=self.replica,
        )
        assert ready.setup_state == "ready"
        self.incident_id = incident.id
        return incident.id

    async def due(self):
        return await timers.due_timers(db=self.db, now=self.clock())

    async def fire(self, due, *, db=None, replica=None, pack: Pack = DEFAULT) -> int:
        """Fire `due`; how many timers this process won and recorded."""
        fired = await fire(
            due,
            db=db or self.db,
            slack=self.slack,
            pack=pack,
            clock=self.clock,
            settings=self.settings,
            replica=replica or self.replica,
        )
        return len(fired)

    def posts(self) -> list[str]:
        """Texts of the bot's posts in the incident channel after the card."""
        channel = self.fake.channel_by_name("inc-20260302-001-checkout-is-down")
        assert channel is not None
        kinds = [m.metadata["event_payload"]["kind"] for m in channel.messages]
        assert kinds[0] == "card"
        return [m.text for m in channel.messages[1:]]

    async def events(self, kind: str) -> list[Event]:
        async with self.db.reader() as session:
            return [
                e
                for e in await repo.timeline(session=session, incident=self.incident_id)
                if e.kind == kind
            ]

    async def timer(self, suffix: str) -> Timer:
        async with self.db.reader() as session:
            return await session.get(Timer, f"{self.incident_id}:{suffix}")


async def world_for(fake: FakeSlack, db: Database) -> World:
    settings = make_settings(fake, "sqlite:///unused.db", escalation_contacts="1=U_DAVE")
    slack = SlackGateway(make_client(settings))
    return World(fake, db, slack, settings, ManualClock(MON_0900), Replica(id="replica-a"))


@pytest_asyncio.fixture
async def world(fake, db) -> AsyncIterator[World]:
    yield await world_for(fake, db)


@pytest_asyncio.fixture
async def sqlite_world(fake, sqlite_db) -> AsyncIterator[World]:
    yield await world_for(fake, sqlite_db)


# --- one firing ----------------------------------------------------------------------------


async def test_nothing_is_due_before_its_time(sqlite_world):
    world = sqlite_world
    await world.declare("sev3")  # internal updates every 30 min, respond within 4h
    world.clock.advance(timedelta(minutes=29, seconds=59))
    assert await world.due() == []
    assert await world.fire([]) == 0
    assert world.posts() == []


async def test_a_due_update_reminder_is_posted_and_recorded_once(world):
    incident_id = await world.declare("sev3")
    world.clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    due = await world.due()
    assert [(t.id, t.kind, t.due_at) for t in due] == [
        (f"{incident_id}:internal_update:", "internal_update", world.clock())
    ]

    assert await world.fire(due) == 1

    assert world.posts() == [REMINDER]
    [event] = await world.events("reminder_sent")
    assert (event.at, event.actor, event.text) == (world.clock(), None, REMINDER)
    assert event.data == {
        "audience": "internal",
        "mentioned": "U_BOB",
        "timer": "internal_update",
        "due": "2026-03-02T09:30:00+00:00",
    }
    timer = await world.timer("internal_update:")
    assert (timer.due_at, timer.fired, timer.last_fired_at) == (
        datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        1,
        datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )
    assert await world.due() == []


async def test_firing_the_same_batch_again_does_nothing(sqlite_world):
    world = sqlite_world
    await world.declare("sev3")
    world.clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    due = await world.due()
    assert await world.fire(due) == 1
    assert await world.fire(due) == 0  # the timer moved on: the stale batch loses its lease
    assert world.posts() == [REMINDER]
    assert len(await world.events("reminder_sent")) == 1


async def test_a_late_firing_posts_one_reminder_and_plans_the_next_from_now(sqlite_world):
    world = sqlite_world
    await world.declare("sev3")
    world.clock.set(datetime(2026, 3, 2, 10, 45, tzinfo=UTC))  # two runs missed
    assert await world.fire(await world.due()) == 1
    assert world.posts() == [REMINDER]
    timer = await world.timer("internal_update:")
    assert timer.due_at == datetime(2026, 3, 2, 11, 15, tzinfo=UTC)
    assert (await world.timer("escalation:respond_within:sev3")).fired == 0


# --- two replicas racing -------------------------------------------------------------------


async def test_two_replicas_firing_the_same_batch_record_and_post_it_once(world):
    await world.declare("sev3")
    world.clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    due = await world.due()  # both replicas' polls saw the same due timer
    # The second replica is another process: its own engine on the same database.
    other = Database(world.db.raw_url, schema=world.db.schema)
    try:
        won = await asyncio.gather(
            world.fire(due, replica=Replica(id="replica-a")),
            world.fire(due, db=other, replica=Replica(id="replica-b")),
        )
    finally:
        await other.dispose()

    assert sorted(won) == [0, 1]
    assert world.posts() == [REMINDER]
    assert len(await world.events("reminder_sent")) == 1
    timer = await world.timer("internal_update:")
    assert (timer.due_at, timer.fired) == (datetime(2026, 3, 2, 10, 0, tzinfo=UTC), 1)


async def test_many_replicas_racing_on_several_timers_fire_each_once(sqlite_world):
    world = sqlite_world
    await world.declare("sev1")
    # 09:30: no response within 15m, still open after 30m, and the internal update.
    world.clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    due = await world.due()
    assert sorted(t.id.split(":", 1)[1] for t in due) == [
        "escalation:escalate_after:sev1",
        "escalation:respond_within:sev1",
        "internal_update:",
    ]
    won = await asyncio.gather(*(world.fire(due, replica=Replica(id=f"r{i}")) for i in range(4)))
    assert sum(won) == 3
    assert len(world.posts()) == 3
    assert len(await world.events("reminder_sent")) == 1
    assert len(await world.events("escalated")) == 2


# --- one-shot notices ----------------------------------------------------------------------


async def test_an_escalation_is_owed_in_the_outbox_and_posted_once(world):
    await world.declare("sev1")
    world.clock.set(datetime(2026, 3, 2, 9, 15, tzinfo=UTC))
    due = await world.due()
    assert [t.key for t in due] == ["respond_within:sev1"]

    assert await world.fire(due) == 1

    text = ":rotating_light: *Escalation* · SEV-1: no response within 15 min.\nPaging <@U_DAVE>"
    assert world.posts() == [text]
    [event] = await world.events("escalated")
    assert event.data == {
        "threshold": "respond_within",
        "severity": "sev1",
        "level": 1,
        "timer": "escalation",
        "due": "2026-03-02T09:15:00+00:00",
    }
    async with world.db.reader() as session:
        owed = (await session.exec(select(OutboxPost).order_by(col(OutboxPost.id)))).all()
    assert [(p.text, p.posted) for p in owed] == [(text, True)]
    timer = await world.timer("escalation:respond_within:sev1")
    assert (timer.due_at, timer.fired) == (None, 1)  # one-shot: fired and stopped


@pytest.mark.parametrize("kind", ["update_posted", "step_completed", "note_added"])
async def test_a_response_calls_off_the_no_response_escalation(sqlite_world, kind):
    world = sqlite_world
    await world.declare("sev1")
    async with world.db.transaction() as session:
        repo.add_event(
            session=session,
            event=repo.new_event(
                incident=world.incident_id,
                at=MON_0900 + timedelta(minutes=5),
                actor="U_BOB",
                kind=kind,
                text="Rolling back",
            ),
        )
    world.clock.set(datetime(2026, 3, 2, 9, 15, tzinfo=UTC))

    assert await world.fire(await world.due()) == 1  # fired, and decided to do nothing

    assert world.posts() == []
    assert await world.events("escalated") == []
    timer = await world.timer("escalation:respond_within:sev1")
    assert (timer.due_at, timer.fired) == (None, 1)


async def test_an_escalation_the_pack_no_longer_knows_does_not_block_the_batch(sqlite_world):
    world = sqlite_world
    await world.declare("sev1")  # under the default pack: respond within 15m
    world.clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    due = await world.due()
    assert sorted(t.id.split(":", 1)[1] for t in due) == [
        "escalation:escalate_after:sev1",
        "escalation:respond_within:sev1",
        "internal_update:",
    ]
    # The bot now runs the fast pack, whose SEV-1 has no respond_within target.
    await world.fire(due, pack=FAST)
    assert len(await world.events("reminder_sent")) == 1
    assert (await world.timer("escalation:respond_within:sev1")).due_at is None
