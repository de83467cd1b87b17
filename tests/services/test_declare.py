"""bot.services.declare: recording a declaration with its clocks, called directly (no HTTP).

What the SQL does runs on a real SQLite file and, when reachable, the local PostgreSQL (`db`);
variations that differ only in the pack's values run on SQLite (`sqlite_db`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.domain.errors import BadCommand
from bot.replica import Replica
from bot.services.channel_setup import SETUP_LEASE
from bot.services.declare import Declaration, PlaybookChoice, declare_incident, playbook_plan
from playbooks.business_calendar import BusinessCalendar, public_holidays
from playbooks.loader import load_pack
from storage import repo
from storage.models import DaySequence, Event, Incident, Timer

DEFAULT = load_pack("default")
FAST = load_pack(Path(__file__).parents[1] / "packs" / "fast.yml")
ESCROW = load_pack("escrow-pilot")

MON_0900 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WED_1000 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
FRI_1700 = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)


async def timers_of(db, incident_id: str) -> dict[str, datetime | None]:
    async with db.reader() as session:
        rows = (
            await session.exec(select(Timer).where(col(Timer.incident_id) == incident_id))
        ).all()
    assert all(row.fired == 0 and row.last_fired_at is None for row in rows)
    return {row.id.removeprefix(f"{incident_id}:"): row.due_at for row in rows}


async def count(db, table) -> int:
    async with db.reader() as session:
        return (await session.exec(select(func.count()).select_from(table))).one()


async def declare(
    db, pack=DEFAULT, at=MON_0900, replica=None, playbook=None, calendar=None, **fields
):
    values = {"title": "Checkout is down", "severity": "sev1", "declarer": "U_ALICE", **fields}
    values |= playbook_fields(playbook) if playbook is not None else {}
    return await declare_incident(
        Declaration(**values),
        db=db,
        pack=pack,
        clock=ManualClock(at),
        replica=replica or Replica(id="replica-a"),
        calendar=calendar or BusinessCalendar(),
    )


def playbook_fields(playbook):
    """Declaration fields for a playbook choice or a playbook ID."""
    if isinstance(playbook, PlaybookChoice):
        return {"choice": playbook}
    return {"playbook_id": playbook}


# --- what is recorded ----------------------------------------------------------------------


async def test_a_declaration_records_one_incident_with_its_fields_and_setup_lease(db):
    incident = await declare(
        db,
        title="  Checkout   down &amp; payments failing ",
        description=" Since the 08:55 deploy &lt;ish&gt; \n",
        commander="U_BOB",
        playbook=PlaybookChoice.NONE,
    )
    assert incident.id == "INC-2026-03-02-001"
    async with db.reader() as session:
        stored = await repo.get_incident(session=session, incident=incident.id)
        events = await repo.timeline(session=session, incident=incident.id)
    assert stored is not None
    assert (stored.title, stored.description) == (
        "Checkout down & payments failing",
        "Since the 08:55 deploy <ish>",
    )
    assert (stored.severity, stored.status, stored.commander_id, stored.declared_by) == (
        "sev1",
        "investigating",
        "U_BOB",
        "U_ALICE",
    )
    assert (stored.day, stored.seq, stored.declared_at, stored.pack_id) == (
        "2026-03-02",
        1,
        MON_0900,
        "default",
    )
    assert (stored.setup_state, stored.setup_done, stored.channel_id, stored.card_ts) == (
        "pending",
        "",
        None,
        None,
    )
    assert (stored.setup_owner, stored.setup_lease_until) == ("replica-a", MON_0900 + SETUP_LEASE)
    assert stored.playbook_plan == ""
    assert [(e.kind, e.actor, e.text, e.at) for e in events] == [
        ("declared", "U_ALICE", "Checkout down & payments failing", MON_0900)
    ]
    assert events[0].data == {
        "severity": "sev1",
        "commander": "U_BOB",
        "description": "Since the 08:55 deploy <ish>",
    }
    assert await count(db, Incident) == 1


async def test_the_commander_is_the_declarer_unless_named(sqlite_db):
    incident = await declare(sqlite_db)
    assert incident.commander_id == "U_ALICE"


async def test_a_severity_is_found_by_alias_and_recorded_by_id(sqlite_db):
    incident = await declare(sqlite_db, severity="Critical")
    assert incident.severity == "sev1"


async def test_sev1_runs_both_update_reminders_and_three_thresholds(db):
    incident = await declare(db)
    assert await timers_of(db, incident.id) == {
        "internal_update:": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        "customer_update:": datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        "escalation:respond_within:sev1": datetime(2026, 3, 2, 9, 15, tzinfo=UTC),
        "escalation:escalate_after:sev1": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        "escalation:resolve_within:sev1": datetime(2026, 3, 2, 13, 0, tzinfo=UTC),
    }
    async with db.reader() as session:
        rows = (await session.exec(select(Timer).order_by(col(Timer.id)))).all()
    assert [(row.kind, row.key) for row in rows] == [
        ("customer_update", ""),
        ("escalation", "escalate_after:sev1"),
        ("escalation", "resolve_within:sev1"),
        ("escalation", "respond_within:sev1"),
        ("internal_update", ""),
    ]


async def test_sev3_has_no_customer_clock_and_a_business_days_resolve_target(sqlite_db):
    incident = await declare(sqlite_db, severity="sev3", at=WED_1000)
    assert await timers_of(sqlite_db, incident.id) == {
        "internal_update:": datetime(2026, 3, 4, 10, 30, tzinfo=UTC),
        "customer_update:": None,  # stopped: no customer updates at SEV-3
        "escalation:respond_within:sev3": datetime(2026, 3, 4, 14, 0, tzinfo=UTC),
        # 3 business days from Wednesday 10:00: Monday 10:00.
        "escalation:resolve_within:sev3": datetime(2026, 3, 9, 10, 0, tzinfo=UTC),
    }


async def test_sev4_declared_on_friday_evening_must_be_answered_by_monday(sqlite_db):
    incident = await declare(sqlite_db, severity="sev4", at=FRI_1700)
    assert incident.id == "INC-2026-03-06-001"
    assert await timers_of(sqlite_db, incident.id) == {
        "internal_update:": datetime(2026, 3, 6, 17, 30, tzinfo=UTC),
        "customer_update:": None,
        "escalation:respond_within:sev4": datetime(2026, 3, 9, 17, 0, tzinfo=UTC),
    }


async def test_escrow_sev2_must_be_answered_within_four_business_hours_of_the_office(sqlite_db):
    # Friday 27 March 2026, 16:00 UTC (16:00 GMT in London): one business hour on Friday,
    # three on Monday, when London is on BST: 12:00 local, 11:00 UTC.
    london = BusinessCalendar(tz=ZoneInfo("Europe/London"), holidays=public_holidays("GB"))
    friday = datetime(2026, 3, 27, 16, 0, tzinfo=UTC)
    incident = await declare(
        sqlite_db,
        pack=ESCROW,
        severity="sev2",
        at=friday,
        calendar=london,
        playbook=PlaybookChoice.NONE,
    )
    timers = await timers_of(sqlite_db, incident.id)
    assert timers["escalation:respond_within:sev2"] == datetime(2026, 3, 30, 11, 0, tzinfo=UTC)


async def test_the_fast_pack_clocks_run_in_seconds(sqlite_db):
    incident = await declare(sqlite_db, pack=FAST, playbook=PlaybookChoice.NONE)
    assert incident.pack_id == "fast"
    assert await timers_of(sqlite_db, incident.id) == {
        "internal_update:": MON_0900 + timedelta(seconds=2),
        "customer_update:": MON_0900 + timedelta(seconds=3),
        "escalation:escalate_after:sev1": MON_0900 + timedelta(seconds=2),
    }


async def test_declarations_on_one_day_are_numbered_in_order(db):
    first = await declare(db)
    second = await declare(db, at=MON_0900 + timedelta(minutes=5), severity="sev2")
    next_day = await declare(db, at=MON_0900 + timedelta(days=1))
    assert [first.id, second.id, next_day.id] == [
        "INC-2026-03-02-001",
        "INC-2026-03-02-002",
        "INC-2026-03-03-001",
    ]
    assert await count(db, Incident) == 3
    assert await count(db, Timer) == 5 + 5 + 5


# --- what is refused -----------------------------------------------------------------------


async def test_a_bad_severity_is_refused_and_records_nothing(db):
    with pytest.raises(BadCommand) as refused:
        await declare(db, severity="sev9")
    assert str(refused.value) == "`sev9` is not a severity. Use one of: sev1, sev2, sev3, sev4."
    for table in (Incident, Timer, Event, DaySequence):
        assert await count(db, table) == 0, table.__name__
    # The day's numbering is untouched: the next declaration is still number one.
    assert (await declare(db)).id == "INC-2026-03-02-001"


@pytest.mark.parametrize("title", ["", "   ", "\n\t"])
async def test_an_empty_title_is_refused_and_records_nothing(sqlite_db, title):
    with pytest.raises(BadCommand, match="^The incident needs a title.$"):
        await declare(sqlite_db, title=title)
    assert await count(sqlite_db, Incident) == 0
    assert await count(sqlite_db, Timer) == 0


async def test_an_unknown_playbook_is_refused_and_records_nothing(sqlite_db):
    with pytest.raises(BadCommand, match="`nope` is not a playbook in the default pack"):
        await declare(sqlite_db, playbook="nope")
    assert await count(sqlite_db, Incident) == 0
    assert await count(sqlite_db, Event) == 0


@pytest.mark.parametrize(
    ("choice", "plan"),
    [
        (PlaybookChoice.NONE, ""),
        (PlaybookChoice.OFFER, "suggest"),
        (PlaybookChoice.BEST, "attach:generic"),
        ("deploy-rollback", "attach:deploy-rollback"),
    ],
)
async def test_the_playbook_plan_is_recorded_with_the_incident(sqlite_db, choice, plan):
    incident = await declare(sqlite_db, playbook=choice)
    async with sqlite_db.reader() as session:
        stored = await repo.get_incident(session=session, incident=incident.id)
    assert stored.playbook_plan == plan
    assert stored.playbook_id is None  # attached later, by channel setup


# --- playbook_plan -------------------------------------------------------------------------


def decl(playbook, title="Checkout is down") -> Declaration:
    return Declaration(
        title=title, severity="sev1", declarer="U_ALICE", **playbook_fields(playbook)
    )


def test_the_default_choice_is_to_offer_a_playbook():
    default = Declaration(title="x", severity="sev1", declarer="U_A")
    assert default.choice is PlaybookChoice.OFFER and default.playbook_id is None
    assert playbook_plan(Declaration(title="x", severity="sev1", declarer="U_A"), DEFAULT) == (
        "suggest"
    )


def test_no_playbook_plans_nothing():
    assert playbook_plan(decl(PlaybookChoice.NONE), DEFAULT) == ""
    # A playbook ID that happens to spell a choice is a playbook ID, not the choice.
    with pytest.raises(BadCommand, match="`none` is not a playbook"):
        playbook_plan(decl("none"), DEFAULT)


def test_offer_plans_a_suggestion_whatever_the_title():
    assert playbook_plan(decl(PlaybookChoice.OFFER, "Printer jam"), DEFAULT) == "suggest"


@pytest.mark.parametrize(
    ("title", "plan"),
    [
        ("Checkout is down", "attach:generic"),
        ("  Checkout   down  ", "attach:generic"),
        ("Checkout down after deploy", "attach:deploy-rollback"),  # longer keyword wins
        ("Printer jam", ""),  # nothing matches: nothing attached
    ],
)
def test_best_attaches_the_best_match_for_the_title(title, plan):
    assert playbook_plan(decl(PlaybookChoice.BEST, title), DEFAULT) == plan


def test_best_in_the_fast_pack():
    assert playbook_plan(decl(PlaybookChoice.BEST, "Fire drill"), FAST) == "attach:quick"
    assert playbook_plan(decl(PlaybookChoice.BEST, "Checkout is down"), FAST) == ""


@pytest.mark.parametrize(
    ("name", "plan"),
    [
        ("generic", "attach:generic"),
        (" Deploy-Rollback ", "attach:deploy-rollback"),
    ],
)
def test_a_named_playbook_is_attached_by_its_id(name, plan):
    assert playbook_plan(decl(name), DEFAULT) == plan


def test_an_unknown_playbook_lists_the_valid_ones():
    with pytest.raises(BadCommand) as refused:
        playbook_plan(decl("quick"), DEFAULT)
    assert str(refused.value) == (
        "`quick` is not a playbook in the default pack. "
        "Valid playbooks: `generic`, `deploy-rollback`."
    )
