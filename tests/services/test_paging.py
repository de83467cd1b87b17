"""bot.services.paging: a level reached pages each of its targets once, durably.

Service-level, on a real database, the local fake Slack and the local fakes of PagerDuty
and Opsgenie (tests/fakes/), with time driven by a `ManualClock`: timers are fired with
`reminders.fire`, and the server's background pass is `paging.send_due`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from sqlmodel import select

from bot.clock import ManualClock
from bot.domain.pager import Target
from bot.pagers import PageRequest, Pagers, opsgenie_url
from bot.replica import Replica
from bot.services import paging, status
from bot.services.channel_setup import set_up_incident
from bot.services.declare import Declaration, PlaybookChoice, declare_incident
from bot.services.reminders import fire
from bot.settings import Settings
from bot.slack_gateway import SlackGateway, make_client
from playbooks.loader import load_pack
from playbooks.model import Pack
from sandbox.slack import FakeSlack
from storage import timers
from storage.db import Database
from storage.models import Page
from tests.fakes.opsgenie import FakeOpsgenie
from tests.fakes.pagerduty import FakePagerDuty
from tests.harness import make_settings

PROD = load_pack("prod-100k")  # level 1 pages pagerduty:primary-oncall at once at P0
MON_0900 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PD_KEY = "R0UTINGKEY0123456789abcdef012345"
OG_KEY = "0123abcd-genie-key-4567-89ef01234567"
CHANNEL = "inc-20260302-001-checkout-is-down"


def paging_pack(*targets: str) -> Pack:
    """prod-100k with level 1 paging these targets."""
    levels = tuple(
        level.model_copy(update={"page": targets}) if level.level == 1 else level
        for level in PROD.escalation
    )
    return PROD.model_copy(update={"escalation": levels})


@dataclass
class World:
    fake: FakeSlack
    pd: FakePagerDuty
    og: FakeOpsgenie
    db: Database
    slack: SlackGateway
    settings: Settings
    clock: ManualClock
    pack: Pack
    incident_id: str = ""

    def pagers(self) -> Pagers:
        return Pagers.from_settings(self.settings, timeout=0.3)

    async def declare(self, severity: str = "p0") -> str:
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
            pack=self.pack,
            clock=self.clock,
            replica=Replica(id="a"),
            calendar=self.settings.calendar,
        )
        await set_up_incident(
            incident.id,
            db=self.db,
            slack=self.slack,
            pack=self.pack,
            clock=self.clock,
            settings=self.settings,
            replica=Replica(id="a"),
        )
        self.incident_id = incident.id
        return incident.id

    async def fire_due(
        self, *, pagers: Pagers | None, db: Database | None = None, replica: str = "a"
    ) -> int:
        due = await timers.due_timers(db=self.db, now=self.clock())
        fired = await fire(
            due,
            db=db or self.db,
            slack=self.slack,
            pack=self.pack,
            clock=self.clock,
            settings=self.settings,
            replica=Replica(id=replica),
            pagers=pagers,
        )
        return len(fired)

    async def send_due(self, pagers: Pagers) -> int:
        return await paging.send_due(
            db=self.db, pagers=pagers, slack=self.slack, clock=self.clock, replica=Replica(id="a")
        )

    def lines(self, *words: str) -> list[str]:
        channel = self.fake.channel_by_name(CHANNEL)
        assert channel is not None
        return [m.text for m in channel.messages if any(w in m.text for w in words)]

    async def page_rows(self) -> list[Page]:
        async with self.db.reader() as session:
            return list((await session.exec(select(Page).order_by(Page.id))).all())


@pytest_asyncio.fixture
async def world(fake: FakeSlack, sqlite_db: Database) -> AsyncIterator[World]:
    async with FakePagerDuty(routing_keys={PD_KEY}) as pd, FakeOpsgenie(api_keys={OG_KEY}) as og:
        yield await _world(fake, pd, og, sqlite_db)


async def _world(fake, pd, og, db, pack: Pack = PROD) -> World:
    settings = make_settings(
        fake,
        "sqlite:///unused.db",
        playbook_pack="prod-100k",
        pagerduty_routing_keys=f"primary-oncall={PD_KEY}",
        pagerduty_events_url=pd.events_url,
        opsgenie_api_keys=f"platform={OG_KEY}",
        opsgenie_api_url=og.base_url,
    )
    slack = SlackGateway(make_client(settings))
    return World(fake, pd, og, db, slack, settings, ManualClock(MON_0900), pack)


# --- a level reached -----------------------------------------------------------------------


async def test_a_level_reached_pages_pagerduty_once_with_the_incident_as_dedup_key(world):
    incident = await world.declare("p0")
    pagers = world.pagers()
    try:
        assert await world.fire_due(pagers=pagers) >= 1  # level 1, at once at P0
        # 5 minutes on, nobody responded: level 1 is reached again, and not paged again.
        world.clock.advance(timedelta(minutes=5))
        assert await world.fire_due(pagers=pagers) >= 1
        await world.send_due(pagers)
    finally:
        await pagers.close()

    assert world.pd.problems == []
    [event] = world.pd.events
    assert event["routing_key"] == PD_KEY
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == incident
    payload = event["payload"]
    assert payload["severity"] == "critical"  # P0 is the most severe
    assert payload["source"] == "incident-bot"
    assert (
        payload["summary"] == f"{incident}: Checkout is down · P0 · level 1, Primary on-call team"
    )
    details = payload["custom_details"]
    assert (details["incident"], details["level"], details["channel"]) == (incident, 1, CHANNEL)
    assert details["reason"]
    [link] = event["links"]
    assert link["href"].startswith("https://slack.com/app_redirect?channel=C")
    assert len(world.lines("Escalation")) == 2  # both notices posted
    [row] = await world.page_rows()
    assert (row.state, row.attempts, row.level, row.target) == (
        "sent",
        1,
        1,
        "pagerduty:primary-oncall",
    )


async def test_a_lower_severity_maps_to_a_lower_pagerduty_severity(world):
    await world.declare("p1")  # rank 1: error
    pagers = world.pagers()
    try:
        await world.fire_due(pagers=pagers)
    finally:
        await pagers.close()
    [event] = world.pd.events
    assert event["payload"]["severity"] == "error"


async def test_two_replicas_firing_the_same_escalation_page_once(fake, db):
    async with FakePagerDuty(routing_keys={PD_KEY}) as pd, FakeOpsgenie() as og:
        world = await _world(fake, pd, og, db)
        await world.declare("p0")
        other = Database(db.raw_url, schema=db.schema)  # another process's engine
        pagers_a, pagers_b = world.pagers(), world.pagers()
        try:
            due = await timers.due_timers(db=db, now=world.clock())
            await asyncio.gather(
                fire(
                    due,
                    db=db,
                    slack=world.slack,
                    pack=PROD,
                    clock=world.clock,
                    settings=world.settings,
                    replica=Replica(id="a"),
                    pagers=pagers_a,
                ),
                fire(
                    due,
                    db=other,
                    slack=world.slack,
                    pack=PROD,
                    clock=world.clock,
                    settings=world.settings,
                    replica=Replica(id="b"),
                    pagers=pagers_b,
                ),
            )
            # And both replicas' background passes run too.
            await asyncio.gather(world.send_due(pagers_a), world.send_due(pagers_b))
        finally:
            await asyncio.gather(pagers_a.close(), pagers_b.close(), other.dispose())
        assert len(pd.events) == 1
        assert pd.problems == []


# --- durable: a restart, an outage ----------------------------------------------------------


async def test_a_page_owed_before_a_crash_is_sent_once_after_the_restart(world):
    await world.declare("p0")
    # The escalation is committed with its page owed, and the process dies before sending.
    await world.fire_due(pagers=None)
    assert world.pd.events == []
    [row] = await world.page_rows()
    assert (row.state, row.attempts) == ("pending", 0)

    restarted = world.pagers()  # a new process: the background pass finds it due
    try:
        assert await world.send_due(restarted) == 1
        assert await world.send_due(restarted) == 0
    finally:
        await restarted.close()
    assert len(world.pd.events) == 1


async def test_a_page_whose_sender_died_mid_send_waits_for_its_lease(world):
    await world.declare("p0")
    await world.fire_due(pagers=None)
    [row] = await world.page_rows()
    # Another process took the page and died while sending it.
    from storage import pages

    async with world.db.transaction() as session:
        assert await pages.take(
            session=session,
            page=row.id,
            expected=row.lease_until,
            until=world.clock() + paging.LEASE,
        )
    pagers = world.pagers()
    try:
        assert await world.send_due(pagers) == 0  # still leased
        world.clock.advance(paging.LEASE + timedelta(seconds=1))
        assert await world.send_due(pagers) == 1
    finally:
        await pagers.close()
    assert len(world.pd.events) == 1


async def test_pagerduty_down_delays_nothing_says_so_once_and_retries_with_backoff(world):
    await world.declare("p0")
    world.pd.fail(1, "500")
    world.pd.fail(1, "timeout")
    pagers = world.pagers()
    try:
        await world.fire_due(pagers=pagers)
        # The incident went on: its escalation notice is posted, and the failure said once.
        assert len(world.lines("Escalation")) == 1
        failed = world.lines("Paging failed")
        assert failed == [
            ":warning: Paging failed: pagerduty:primary-oncall: PagerDuty answered 500 "
            '{"status": "error", "message": "500"}, retrying.'
        ]
        [row] = await world.page_rows()
        assert row.next_attempt_at == world.clock() + timedelta(seconds=10)

        world.clock.advance(timedelta(seconds=9))
        assert await world.send_due(pagers) == 0  # not yet
        world.clock.advance(timedelta(seconds=1))
        assert await world.send_due(pagers) == 1  # times out: tried again 20 s later
        assert world.lines("Paging failed") == failed  # said once
        [row] = await world.page_rows()
        assert row.next_attempt_at == world.clock() + timedelta(seconds=20)
        assert "did not answer" in (row.last_error or "")

        world.clock.advance(timedelta(seconds=20))
        assert await world.send_due(pagers) == 1
    finally:
        await pagers.close()
    assert len(world.pd.events) == 1
    assert world.pd.attempts == 3
    assert world.lines("after 3 attempts") == [
        ":white_check_mark: Paged pagerduty:primary-oncall after 3 attempts."
    ]
    [row] = await world.page_rows()
    assert (row.state, row.attempts) == ("sent", 3)


# --- resolve, Opsgenie -----------------------------------------------------------------------


async def test_resolving_resolves_every_target_paged(fake, sqlite_db):
    pack = paging_pack("pagerduty:primary-oncall", "opsgenie:platform", "opsgenie:unknown")
    async with FakePagerDuty(routing_keys={PD_KEY}) as pd, FakeOpsgenie(api_keys={OG_KEY}) as og:
        world = await _world(fake, pd, og, sqlite_db, pack)
        incident = await world.declare("p0")
        pagers = world.pagers()
        try:
            await world.fire_due(pagers=pagers)
            async with world.db.reader() as session:
                from storage import repo

                found = await repo.get_incident(session=session, incident=incident)
            await status.resolve(
                found,
                actor="U_BOB",
                summary="Rolled back",
                db=world.db,
                slack=world.slack,
                pack=pack,
                clock=world.clock,
                settings=world.settings,
                replica=Replica(id="a"),
                pagers=pagers,
            )
        finally:
            await pagers.close()

    assert pd.problems == [] and og.problems == []
    assert [(e["event_action"], e["dedup_key"]) for e in pd.events] == [
        ("trigger", incident),
        ("resolve", incident),
    ]
    [created] = og.created()
    assert created["alias"] == incident
    assert created["priority"] == "P1"
    assert len(created["message"]) <= 130
    assert created["details"]["incident"] == incident
    assert og.accepted[0].headers["Authorization"] == f"GenieKey {OG_KEY}"
    assert og.closed() == [incident]
    assert og.accepted[1].query == {"identifierType": "alias"}


def test_opsgenie_eu_accounts_use_the_eu_base_url(fake):
    settings = make_settings(
        fake, "sqlite:///unused.db", opsgenie_api_url="https://api.eu.opsgenie.com/"
    )
    base = settings.opsgenie_api_url
    assert base == "https://api.eu.opsgenie.com"
    create = PageRequest(Target("opsgenie", "platform"), "trigger", "INC-1", "Down", 0)
    close = PageRequest(Target("opsgenie", "platform"), "resolve", "INC-1", "Down", 0)
    assert opsgenie_url(base, create) == "https://api.eu.opsgenie.com/v2/alerts"
    assert (
        opsgenie_url(base, close)
        == "https://api.eu.opsgenie.com/v2/alerts/INC-1/close?identifierType=alias"
    )
    assert Settings.model_fields["opsgenie_api_url"].default == "https://api.opsgenie.com"


# --- on demand ------------------------------------------------------------------------------


async def test_page_a_level_on_demand_once_then_say_when_it_was(world):
    world.pack = PROD
    incident = await world.declare("p2")  # level 1 is not reached at once at P2
    pagers = world.pagers()
    try:
        args = dict(
            actor="U_CAROL",
            number=1,
            db=world.db,
            slack=world.slack,
            pack=PROD,
            clock=world.clock,
            settings=world.settings,
            replica=Replica(id="a"),
            pagers=pagers,
        )
        async with world.db.reader() as session:
            from storage import repo

            found = await repo.get_incident(session=session, incident=incident)
        assert await paging.page_level(found, **args) is None
        world.clock.advance(timedelta(minutes=3))
        again = await paging.page_level(found, **args)
    finally:
        await pagers.close()
    assert [e["event_action"] for e in world.pd.events] == ["trigger"]
    assert world.pd.events[0]["payload"]["severity"] == "warning"  # P2
    assert world.lines(":pager:") == [
        ":pager: Paging level 1 · Primary on-call team: pagerduty:primary-oncall (by <@U_CAROL>)."
    ]
    assert again == (
        "Level 1 was already paged for this incident: pagerduty:primary-oncall at "
        "2026-03-02 09:00 UTC (sent). A level pages once."
    )


# --- secrets --------------------------------------------------------------------------------


async def test_pager_keys_never_appear_in_logs_or_reprs(world, caplog):
    caplog.set_level(logging.DEBUG)
    await world.declare("p0")
    world.pd.fail(1, "500")
    pagers = world.pagers()
    try:
        await world.fire_due(pagers=pagers)
        world.clock.advance(timedelta(seconds=10))
        await world.send_due(pagers)
    finally:
        await pagers.close()
    paging.warn_unknown_targets(paging_pack("opsgenie:nobody"), world.settings)
    assert len(world.pd.events) == 1
    text = caplog.text + repr(world.settings) + repr(pagers) + str(world.settings.model_dump())
    assert "opsgenie:nobody" in caplog.text  # the unknown target is warned about
    assert PD_KEY not in text and OG_KEY not in text
