"""bot.services.statuspage and the audiences' Slack channels: a customer update reaches each
audience's destination.

Service-level, on a real database, the local fake Slack and a local fake of Statuspage
(tests/fakes/statuspage.py), with time driven by a `ManualClock`; the server's background
pass is `statuspage.send_due`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.replica import Replica
from bot.services import comms, status
from bot.services import statuspage as mirror
from bot.services.channel_setup import set_up_incident
from bot.services.declare import Declaration, PlaybookChoice, declare_incident
from bot.slack_gateway import SlackGateway, make_client
from bot.statuspage import Statuspage
from playbooks.loader import load_pack
from storage import repo
from storage import statuspage as calls
from tests.fakes.statuspage import FakeStatuspage
from tests.harness import make_settings

DEFAULT = load_pack("default")
MON_0900 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPLICA = Replica(id="a")


def audience_pack():
    """The default pack; customers also hear in #status-updates and on Statuspage."""
    audiences = tuple(
        a.model_copy(update={"slack_channel": "#status-updates", "statuspage": True})
        if a.id == "customers"
        else a
        for a in DEFAULT.comms.audiences
    )
    return DEFAULT.model_copy(
        update={"comms": DEFAULT.comms.model_copy(update={"audiences": audiences})}
    )


class World:
    def __init__(self, fake, db, sp: FakeStatuspage) -> None:
        self.fake, self.db, self.sp = fake, db, sp
        self.pack = audience_pack()
        self.settings = make_settings(
            fake,
            "sqlite:///unused.db",
            statuspage_api_url=sp.base_url,
            statuspage_page_id=sp.page_id,
            statuspage_api_key=sp.key,
        )
        self.slack = SlackGateway(make_client(self.settings))
        self.clock = ManualClock(MON_0900)
        self.client = Statuspage.from_settings(self.settings, timeout=0.3)

    async def declare(self):
        declaration = Declaration(
            title="Checkout is down",
            severity="sev1",
            declarer="U_ALICE",
            commander="U_BOB",
            choice=PlaybookChoice.NONE,
        )
        kw = {"db": self.db, "pack": self.pack, "clock": self.clock, "replica": REPLICA}
        incident = await declare_incident(declaration, calendar=self.settings.calendar, **kw)
        await set_up_incident(incident.id, slack=self.slack, settings=self.settings, **kw)
        return await self.incident(incident.id)

    async def incident(self, incident_id):
        async with self.db.reader() as session:
            return await repo.get_incident(session=session, incident=incident_id)

    async def update(self, incident, text, audience=None):
        await comms.submit_customer_update(
            incident,
            actor="U_BOB",
            text=text,
            audience=audience,
            db=self.db,
            slack=self.slack,
            pack=self.pack,
            clock=self.clock,
            replica=REPLICA,
        )

    async def send_due(self):
        return await mirror.send_due(
            db=self.db, statuspage=self.client, slack=self.slack, clock=self.clock, replica=REPLICA
        )

    async def resolve(self, incident):
        await status.resolve(
            await self.incident(incident.id),
            actor="U_BOB",
            summary="Rolled back",
            db=self.db,
            slack=self.slack,
            pack=self.pack,
            clock=self.clock,
            settings=self.settings,
            replica=REPLICA,
        )

    def lines(self, channel, *words):
        return [m.text for m in self.fake.messages(channel) if any(w in m.text for w in words)]


async def test_a_customer_update_is_posted_in_its_audience_s_channel_and_mirrored(fake, sqlite_db):
    updates = fake.add_channel("status-updates")
    async with FakeStatuspage() as sp:
        world = World(fake, sqlite_db, sp)
        try:
            incident = await world.declare()
            await world.update(incident, "Checkout is failing for some customers")
            await world.update(incident, "Internal only", audience="internal")
            assert await world.send_due() == 1
            await world.update(incident, "A fix is rolling out", audience="customers")
            assert await world.send_due() == 1
            await world.resolve(incident)
            assert await world.send_due() == 1
            assert await world.send_due() == 0
        finally:
            await world.client.close()

    assert [m.text for m in fake.messages(updates.id)] == [
        f"Customer update · {incident.id}: Checkout is failing for some customers",
        f"Customer update (Customers) · {incident.id}: A fix is rolling out",
    ]
    assert sp.problems == []
    base = f"/pages/{sp.page_id}/incidents"
    assert sp.calls == [
        (
            "POST",
            base,
            {
                "name": "Checkout is down",
                "status": "investigating",
                "body": "Checkout is failing for some customers",
                "impact_override": "critical",
            },
        ),
        ("PATCH", f"{base}/sp0001", {"status": "investigating", "body": "A fix is rolling out"}),
        ("PATCH", f"{base}/sp0001", {"status": "resolved", "body": mirror.RESOLVED_BODY}),
    ]


async def test_statuspage_down_is_retried_said_once_and_the_incident_goes_on(fake, sqlite_db):
    async with FakeStatuspage() as sp:
        world = World(fake, sqlite_db, sp)
        try:
            incident = await world.declare()
            sp.fail(2, "500")
            await world.update(incident, "Checkout is failing")
            assert await world.send_due() == 1
            assert await world.send_due() == 0  # waits out its backoff
            world.clock.advance(timedelta(seconds=10))
            assert await world.send_due() == 1  # fails again: not said again
            await world.update(incident, "Still failing, still on it")
            world.clock.advance(timedelta(seconds=20))
            assert await world.send_due() == 1  # the create goes through
            assert await world.send_due() == 1  # then the update
        finally:
            await world.client.close()

    assert sp.attempts == 4
    assert [c[0] for c in sp.calls] == ["POST", "PATCH"]
    channel = (await world.incident(incident.id)).channel_id
    assert world.lines(channel, "Statuspage") == [
        ":warning: Creating the Statuspage incident failed: Statuspage answered 500 "
        '{"error": "500"}, retrying.',
        ":white_check_mark: Creating the Statuspage incident went through after 3 attempts.",
    ]
    assert len(world.lines(channel, "Customer update")) == 2  # the incident went on
    async with world.db.reader() as session:
        rows = await calls.for_incident(session=session, incident=incident.id)
    assert [(r.action, r.state, r.attempts, r.statuspage_id) for r in rows] == [
        ("create", "sent", 3, "sp0001"),
        ("update", "sent", 1, "sp0001"),
    ]


def test_a_pack_mirroring_to_statuspage_without_its_settings_is_said_at_startup(fake, caplog):
    pack = audience_pack()
    unset = make_settings(fake, "sqlite:///unused.db")
    assert mirror.warn_if_unconfigured(pack, unset)
    assert "STATUSPAGE_PAGE_ID or STATUSPAGE_API_KEY is not set" in caplog.text
    configured = make_settings(
        fake,
        "sqlite:///unused.db",
        statuspage_page_id="page1",
        statuspage_api_key="statuspage-key-0123456789",
    )
    assert not mirror.warn_if_unconfigured(pack, configured)
    assert not mirror.warn_if_unconfigured(load_pack("default"), unset)
