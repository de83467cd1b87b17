"""bot.services.channel_setup: one channel, card, pin and announcement, resumed, never doubled.

Calls `set_up_incident` directly (no HTTP) against the local fake Slack, with the incident
recorded by `declare_incident` in a real database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from bot.clock import ManualClock
from bot.replica import Replica
from bot.services.channel_setup import SETUP_LEASE, set_up_incident
from bot.services.declare import Declaration, PlaybookChoice, declare_incident
from bot.settings import Settings
from bot.slack_gateway import SlackGateway, make_client
from playbooks.business_calendar import BusinessCalendar
from playbooks.loader import load_pack
from sandbox.slack import FakeSlack
from storage import repo
from storage.db import Database
from tests.harness import make_settings

PACK = load_pack("default")
MON_0900 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHANNEL = "inc-20260302-001-checkout-is-down"
ALL_DONE = "announced,briefed,card,invited,notified,pinned,playbook,topic"


@dataclass
class World:
    """The collaborators of one test, and the fake Slack they talk to."""

    fake: FakeSlack
    db: Database
    slack: SlackGateway
    settings: Settings
    clock: ManualClock
    replica: Replica

    async def declare(self, playbook: str | PlaybookChoice = PlaybookChoice.NONE) -> str:
        declaration = Declaration(
            title="Checkout is down",
            severity="sev1",
            declarer="U_ALICE",
            commander="U_BOB",
            **(
                {"choice": playbook}
                if isinstance(playbook, PlaybookChoice)
                else {"playbook_id": playbook}
            ),
        )
        incident = await declare_incident(
            declaration,
            db=self.db,
            pack=PACK,
            clock=self.clock,
            replica=self.replica,
            calendar=BusinessCalendar(),
        )
        return incident.id

    async def set_up(self, incident_id: str, replica: Replica | None = None):
        return await set_up_incident(
            incident_id,
            db=self.db,
            slack=self.slack,
            pack=PACK,
            clock=self.clock,
            settings=self.settings,
            replica=replica or self.replica,
        )

    async def stored(self, incident_id: str):
        async with self.db.reader() as session:
            return await repo.get_incident(session=session, incident=incident_id)

    def channel(self):
        found = self.fake.channel_by_name(CHANNEL)
        assert found is not None, CHANNEL
        return found

    def posts(self, name: str) -> list[tuple[str, str]]:
        """(kind, ts) of the bot's posts in a channel, from their metadata."""
        channel = self.fake.channel_by_name(name)
        assert channel is not None
        return [
            (m.metadata["event_payload"]["kind"] if m.metadata else "", m.ts)
            for m in channel.messages
            if not m.deleted
        ]

    def methods(self) -> list[str]:
        return [call.method for call in self.fake.calls]


async def world_for(fake: FakeSlack, db: Database) -> World:
    settings = make_settings(fake, "sqlite:///unused.db")
    slack = SlackGateway(make_client(settings))
    return World(fake, db, slack, settings, ManualClock(MON_0900), Replica(id="replica-a"))


@pytest_asyncio.fixture
async def world(fake, db) -> AsyncIterator[World]:
    yield await world_for(fake, db)


@pytest_asyncio.fixture
async def sqlite_world(fake, sqlite_db) -> AsyncIterator[World]:
    yield await world_for(fake, sqlite_db)


def channel_names(fake: FakeSlack) -> list[str]:
    return sorted(channel.name for channel in fake.channels.values())


# --- one pass ------------------------------------------------------------------------------


async def test_setup_makes_one_channel_card_pin_and_announcement(world):
    incident_id = await world.declare()
    ready = await world.set_up(incident_id)

    channel = world.channel()
    assert channel_names(world.fake) == ["general", CHANNEL, "incidents"]
    assert channel.topic == "SEV-1 · Investigating · Commander: <@U_BOB>"
    assert channel.members == {"UBOT", "U_ALICE", "U_BOB"}
    [(kind, card_ts)] = world.posts(CHANNEL)
    assert kind == "card"
    assert channel.pins == [card_ts]
    [(announced, announcement_ts)] = world.posts("incidents")
    assert announced == "announcement"
    assert sorted(world.methods()) == sorted(
        [
            "conversations.create",
            "conversations.invite",
            "conversations.setTopic",
            "conversations.list",  # finds #incidents by name
            "chat.postMessage",  # the card
            "chat.postMessage",  # the announcement
            "pins.add",
            "chat.postEphemeral",  # the commander's instructions, to the commander
        ]
    )
    [brief] = world.fake.ephemerals
    assert brief.user == "U_BOB" and brief.channel == channel.id
    assert brief.text.startswith("You are now *Incident Commander* for INC-")

    stored = await world.stored(incident_id)
    for incident in (ready, stored):
        assert (incident.setup_state, incident.setup_done) == ("ready", ALL_DONE)
        assert (incident.channel_id, incident.channel_name) == (channel.id, CHANNEL)
        assert incident.card_ts == card_ts
        assert (incident.announcement_channel, incident.announcement_ts) == (
            world.fake.channel_by_name("incidents").id,
            announcement_ts,
        )
        assert (incident.setup_owner, incident.setup_lease_until) == (None, None)
    assert world.replica.setting_up == set()


async def test_a_second_run_changes_nothing(world):
    incident_id = await world.declare()
    await world.set_up(incident_id)
    before = (world.posts(CHANNEL), world.posts("incidents"), world.channel().pins)
    world.fake.calls.clear()

    again = await world.set_up(incident_id)

    assert world.fake.calls == []  # a ready incident is not even looked at in Slack
    assert again.setup_state == "ready"
    assert (world.posts(CHANNEL), world.posts("incidents"), world.channel().pins) == before
    assert len(world.posts(CHANNEL)) == 1
    assert len(world.posts("incidents")) == 1
    assert channel_names(world.fake) == ["general", CHANNEL, "incidents"]


async def test_an_attached_playbook_is_posted_once_under_the_pinned_card(sqlite_world):
    world = sqlite_world
    incident_id = await world.declare(PlaybookChoice.BEST)  # "down": the generic playbook
    await world.set_up(incident_id)
    await world.set_up(incident_id)

    kinds = [kind for kind, _ in world.posts(CHANNEL)]
    assert kinds == ["card", "phase:generic:0", "phase:generic:1", "phase:generic:2"]
    assert world.channel().pins == [world.posts(CHANNEL)[0][1]]
    stored = await world.stored(incident_id)
    assert (stored.playbook_id, stored.setup_done) == ("generic", ALL_DONE)


async def test_an_offered_playbook_is_suggested_once(sqlite_world):
    world = sqlite_world
    incident_id = await world.declare(PlaybookChoice.OFFER)
    await world.set_up(incident_id)
    await world.set_up(incident_id)
    assert [kind for kind, _ in world.posts(CHANNEL)] == ["card", "playbook-suggestion"]
    assert (await world.stored(incident_id)).playbook_id is None


# --- a pass cut short ----------------------------------------------------------------------


async def test_a_failed_pin_leaves_setup_unfinished_and_the_next_pass_pins_the_same_card(
    world,
):
    incident_id = await world.declare()
    world.fake.fail_next("pins.add", "internal_error")

    first = await world.set_up(incident_id)

    [(_, card_ts)] = world.posts(CHANNEL)
    assert world.channel().pins == []
    assert (first.setup_state, first.setup_done) == (
        "channel",
        "announced,briefed,card,invited,notified,topic",
    )
    stored = await world.stored(incident_id)
    assert (stored.setup_state, stored.setup_done, stored.card_ts) == (
        "channel",
        "announced,briefed,card,invited,notified,topic",
        card_ts,
    )
    assert (stored.setup_owner, stored.setup_lease_until) == (None, None)  # free to resume
    world.fake.calls.clear()

    second = await world.set_up(incident_id)

    assert world.methods() == ["pins.add"]  # only what remained
    assert second.setup_state == "ready"
    assert (await world.stored(incident_id)).setup_done == ALL_DONE
    assert world.posts(CHANNEL) == [("card", card_ts)]  # no second card
    assert len(world.posts("incidents")) == 1
    assert world.channel().pins == [card_ts]
    assert channel_names(world.fake) == ["general", CHANNEL, "incidents"]


async def test_a_pin_whose_call_never_reached_slack_is_made_by_the_next_pass(sqlite_world):
    world = sqlite_world
    world.slack = SlackGateway(make_client(world.settings, retries=False))
    incident_id = await world.declare()
    world.fake.fault_next("pins.add", "drop_before")  # the connection drops before Slack acts

    first = await world.set_up(incident_id)

    assert first.setup_state == "channel"
    assert world.channel().pins == []
    second = await world.set_up(incident_id)
    assert second.setup_state == "ready"
    [(_, card_ts)] = world.posts(CHANNEL)
    assert world.channel().pins == [card_ts]


async def test_a_pin_made_but_unanswered_is_not_pinned_twice(sqlite_world):
    world = sqlite_world
    world.slack = SlackGateway(make_client(world.settings, retries=False))
    incident_id = await world.declare()
    world.fake.fault_next("pins.add", "drop")  # Slack pins the card; its answer is lost

    first = await world.set_up(incident_id)

    [(_, card_ts)] = world.posts(CHANNEL)
    assert first.setup_state == "channel"
    assert world.channel().pins == [card_ts]
    second = await world.set_up(incident_id)
    assert second.setup_state == "ready"  # Slack says `already_pinned`: that is done
    assert world.channel().pins == [card_ts]
    assert [c.error for c in world.fake.calls_to("pins.add")] == [None, "already_pinned"]


async def test_a_failed_card_is_posted_by_the_next_pass_and_then_pinned(sqlite_world):
    world = sqlite_world
    incident_id = await world.declare()
    world.fake.fail_next(
        "chat.postMessage", "internal_error"
    )  # the first post: card or announcement

    first = await world.set_up(incident_id)

    assert first.setup_state == "channel"
    second = await world.set_up(incident_id)
    assert second.setup_state == "ready"
    [(kind, card_ts)] = world.posts(CHANNEL)
    assert kind == "card"
    assert world.channel().pins == [card_ts]
    assert [kind for kind, _ in world.posts("incidents")] == ["announcement"]


# --- two replicas --------------------------------------------------------------------------


async def test_another_replica_waits_for_the_setup_lease_then_takes_over(sqlite_world):
    world = sqlite_world
    incident_id = await world.declare()  # replica-a holds the setup lease from now
    other = Replica(id="replica-b")

    untouched = await world.set_up(incident_id, replica=other)

    assert untouched.setup_state == "pending"
    assert world.fake.calls == []
    assert world.fake.channel_by_name(CHANNEL) is None

    world.clock.advance(SETUP_LEASE + timedelta(seconds=1))  # replica-a died: its lease ran out
    taken = await world.set_up(incident_id, replica=other)

    assert taken.setup_state == "ready"
    assert len(world.posts(CHANNEL)) == 1
    assert len(world.posts("incidents")) == 1
    # replica-a coming back later finds it ready and does nothing.
    world.fake.calls.clear()
    assert (await world.set_up(incident_id)).setup_state == "ready"
    assert world.fake.calls == []


async def test_any_number_of_passes_leave_one_of_everything(sqlite_world):
    world, pass_count = sqlite_world, 3
    incident_id = await world.declare(PlaybookChoice.BEST)
    world.fake.fail_next("pins.add", "internal_error", times=pass_count - 1)
    results = [await world.set_up(incident_id) for _ in range(pass_count)]
    assert [r.setup_state for r in results] == ["channel"] * (pass_count - 1) + ["ready"]
    assert [kind for kind, _ in world.posts(CHANNEL)] == [
        "card",
        "phase:generic:0",
        "phase:generic:1",
        "phase:generic:2",
    ]
    assert len(world.channel().pins) == 1
    assert len(world.posts("incidents")) == 1
    assert len(world.fake.calls_to("conversations.create")) == 1
