"""bot.services.command.hand_over_command: one commander, even when two hand-overs race.

Calls the use case directly (no HTTP) on a real database and the local fake Slack; the
incident is declared and its channel set up by the use cases themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.domain.errors import Conflict, InvalidTransition, NotAllowed
from bot.replica import Replica
from bot.services.channel_setup import set_up_incident
from bot.services.command import hand_over_command
from bot.services.declare import Declaration, PlaybookChoice, declare_incident
from bot.settings import Settings
from bot.slack_gateway import SlackGateway, make_client
from playbooks.business_calendar import BusinessCalendar
from playbooks.loader import load_pack
from sandbox.slack import FakeSlack
from storage import repo
from storage.db import Database
from storage.models import Incident
from tests.harness import make_settings

PACK = load_pack("default")
MON_0900 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOST = "Command changed hands meanwhile: <@{now}> is now the commander. Nothing was changed."


@dataclass
class World:
    fake: FakeSlack
    db: Database
    slack: SlackGateway
    settings: Settings
    clock: ManualClock
    replica: Replica

    async def declare(self) -> Incident:
        declaration = Declaration(
            title="Checkout is down",
            severity="sev1",
            declarer="U_ALICE",
            commander="U_BOB",
            choice=PlaybookChoice.NONE,
        )
        incident = await declare_incident(
            declaration,
            db=self.db,
            pack=PACK,
            clock=self.clock,
            replica=self.replica,
            calendar=BusinessCalendar(),
        )
        ready = await set_up_incident(
            incident.id,
            db=self.db,
            slack=self.slack,
            pack=PACK,
            clock=self.clock,
            settings=self.settings,
            replica=self.replica,
        )
        assert ready.setup_state == "ready"
        self.clock.advance(timedelta(minutes=5))
        self.fake.calls.clear()
        return ready

    async def hand_over(self, incident: Incident, *, actor: str, new: str, db=None, replica=None):
        await hand_over_command(
            incident,
            actor=actor,
            new=new,
            db=db or self.db,
            slack=self.slack,
            pack=PACK,
            clock=self.clock,
            settings=self.settings,
            replica=replica or self.replica,
        )

    async def stored(self, incident_id: str) -> Incident:
        async with self.db.reader() as session:
            return await repo.get_incident(session=session, incident=incident_id)

    async def handovers(self, incident_id: str) -> list[tuple[str | None, str, dict]]:
        async with self.db.reader() as session:
            events = await repo.timeline(session=session, incident=incident_id)
        return [(e.actor, e.text, e.data) for e in events if e.kind == "commander_changed"]

    def channel(self, incident: Incident):
        return self.fake.resolve_channel(incident.channel_id)

    def lines(self, incident: Incident) -> list[str]:
        """What the bot posted in the incident channel after the card."""
        return [m.text for m in self.channel(incident).messages[1:]]


@pytest_asyncio.fixture
async def world(fake, db) -> AsyncIterator[World]:
    settings = make_settings(fake, "sqlite:///unused.db")  # incident admin: U_DAVE
    slack = SlackGateway(make_client(settings))
    yield World(fake, db, slack, settings, ManualClock(MON_0900), Replica(id="replica-a"))


@pytest_asyncio.fixture
async def sqlite_world(fake, sqlite_db) -> AsyncIterator[World]:
    settings = make_settings(fake, "sqlite:///unused.db")
    slack = SlackGateway(make_client(settings))
    yield World(fake, sqlite_db, slack, settings, ManualClock(MON_0900), Replica(id="r-a"))


# --- one hand-over -------------------------------------------------------------------------


async def test_the_commander_hands_over_once(world):
    incident = await world.declare()

    await world.hand_over(incident, actor="U_BOB", new="U_CAROL")

    stored = await world.stored(incident.id)
    assert stored.commander_id == "U_CAROL"
    assert stored.revision == 1
    assert stored.shown_revision == 1  # Slack shows it
    assert await world.handovers(incident.id) == [
        ("U_BOB", "<@U_BOB> → <@U_CAROL>", {"old": "U_BOB", "new": "U_CAROL"})
    ]
    assert world.lines(incident) == [":crown: <@U_BOB> handed command from <@U_BOB> to <@U_CAROL>."]
    channel = world.channel(incident)
    assert "U_CAROL" in channel.members
    assert channel.topic == "SEV-1 · Investigating · Commander: <@U_CAROL>"
    card = channel.message(stored.card_ts)
    assert card.edits == 1 and "<@U_CAROL>" in str(card.blocks)

    # The same request again, from the incident as it was read before: command has moved.
    with pytest.raises(Conflict) as lost:
        await world.hand_over(incident, actor="U_BOB", new="U_DAVE")
    assert str(lost.value) == LOST.format(now="U_CAROL")
    assert (await world.stored(incident.id)).commander_id == "U_CAROL"
    assert len(await world.handovers(incident.id)) == 1
    assert len(world.lines(incident)) == 1


async def test_an_incident_admin_may_hand_over(sqlite_world):
    world = sqlite_world
    incident = await world.declare()
    await world.hand_over(incident, actor="U_DAVE", new="U_ALICE")
    assert (await world.stored(incident.id)).commander_id == "U_ALICE"
    assert world.lines(incident) == [
        ":crown: <@U_DAVE> handed command from <@U_BOB> to <@U_ALICE>."
    ]


@pytest.mark.parametrize(
    ("actor", "new", "error", "message"),
    [
        (
            "U_CAROL",
            "U_CAROL",
            NotAllowed,
            "Only the incident commander (<@U_BOB>) or an incident admin can hand over command.",
        ),
        ("U_BOB", "U_BOB", InvalidTransition, "<@U_BOB> is already the incident commander."),
        ("U_BOB", "UBOT", NotAllowed, "I can't be the incident commander myself."),
        ("U_BOB", "U_NOBODY", NotAllowed, "I can't find <@U_NOBODY> in this workspace"),
    ],
)
async def test_a_refused_hand_over_changes_nothing(sqlite_world, actor, new, error, message):
    world = sqlite_world
    incident = await world.declare()
    with pytest.raises(error) as refused:
        await world.hand_over(incident, actor=actor, new=new)
    assert str(refused.value).startswith(message)
    stored = await world.stored(incident.id)
    assert (stored.commander_id, stored.revision) == ("U_BOB", 0)
    assert await world.handovers(incident.id) == []
    assert world.lines(incident) == []
    assert world.fake.calls_to("chat.update") == []


# --- two at once ---------------------------------------------------------------------------


async def test_two_concurrent_hand_overs_leave_exactly_one_winner(world):
    incident = await world.declare()
    # Both requests read the incident with U_BOB in command; the second one comes from
    # another process (its own engine on the same database, its own replica).
    other = Database(world.db.raw_url, schema=world.db.schema)
    try:
        results = await asyncio.gather(
            world.hand_over(incident, actor="U_BOB", new="U_CAROL"),
            world.hand_over(
                incident, actor="U_BOB", new="U_DAVE", db=other, replica=Replica(id="replica-b")
            ),
            return_exceptions=True,
        )
    finally:
        await other.dispose()

    winners = [
        new for new, result in zip(("U_CAROL", "U_DAVE"), results, strict=True) if result is None
    ]
    losers = [result for result in results if result is not None]
    assert len(winners) == 1, results
    [winner] = winners
    [loser] = losers
    assert isinstance(loser, Conflict)
    assert str(loser) == LOST.format(now=winner)
    assert "Command changed hands meanwhile" in str(loser)

    stored = await world.stored(incident.id)
    assert (stored.commander_id, stored.revision) == (winner, 1)
    assert await world.handovers(incident.id) == [
        ("U_BOB", f"<@U_BOB> → <@{winner}>", {"old": "U_BOB", "new": winner})
    ]
    assert world.lines(incident) == [
        f":crown: <@U_BOB> handed command from <@U_BOB> to <@{winner}>."
    ]
    assert world.channel(incident).topic == f"SEV-1 · Investigating · Commander: <@{winner}>"


async def test_many_concurrent_hand_overs_leave_one_commander(sqlite_world):
    world = sqlite_world
    incident = await world.declare()
    candidates = ["U_ALICE", "U_CAROL", "U_DAVE"]
    results = await asyncio.gather(
        *(world.hand_over(incident, actor="U_BOB", new=new) for new in candidates),
        return_exceptions=True,
    )
    assert sum(result is None for result in results) == 1
    [winner] = [new for new, result in zip(candidates, results, strict=True) if result is None]
    for result in results:
        if result is not None:
            assert isinstance(result, Conflict)
            assert str(result) == LOST.format(now=winner)
    assert (await world.stored(incident.id)).commander_id == winner
    assert len(await world.handovers(incident.id)) == 1
    assert len(world.lines(incident)) == 1
