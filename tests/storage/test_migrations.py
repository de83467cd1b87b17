"""The Alembic migrations build exactly the schema the models describe, and upgrade a database
made at any earlier revision, with rows in it, to head without losing or garbling them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Boolean, Date, bindparam, inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel, select

import storage.models  # noqa: F401 - registers every table
from storage import repo, revisions
from storage.db import Database
from storage.models import Event, Incident, IncidentBase
from storage.types import UTCDateTime
from tests.conftest import POSTGRES_URL, postgres_schema

CHAIN = revisions.chain()
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
INC = "INC-2026-11-22-001"


def schema_drift(connection: Connection) -> list[Any]:
    """What Alembic's autogenerate would add to make the database match the models."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_migrated_schema_matches_the_models(db):
    async with db.engine.connect() as conn:
        assert await conn.run_sync(schema_drift) == []


def test_the_chain_is_linear_and_ends_at_head():
    assert CHAIN == [f"{n:04d}" for n in range(1, len(CHAIN) + 1)]
    assert CHAIN[-1] == revisions.head()


@dataclass(frozen=True)
class Seed:
    """One row of a table as the code of the revision that made the table wrote it, and the
    values of the columns later revisions added (each written only from that revision on)."""

    table: str
    since: str
    row: dict[str, Any]
    later: dict[str, dict[str, Any]] = field(default_factory=dict)
    dropped_in: str | None = None

    def exists_at(self, revision: str) -> bool:
        return self.since <= revision and (self.dropped_in is None or revision < self.dropped_in)

    def values_at(self, revision: str) -> dict[str, Any]:
        values = dict(self.row)
        for added_in, columns in self.later.items():
            if added_in <= revision:
                values.update(columns)
        return values


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# In foreign-key order. Integer primary keys are left to the database, as the bot leaves them.
SEEDS = [
    Seed("daysequence", "0001", {"day": "2026-11-22", "last": 1}),
    Seed(
        "incident",
        "0001",
        {
            "id": INC,
            "day": "2026-11-22",
            "seq": 1,
            "title": "Refunds executed twice",
            "description": "Buyers see two refunds",
            "severity": "sev1",
            "status": "identified",
            "commander_id": "U_ALICE",
            "declared_by": "U_BOB",
            "pack_id": "default",
            "playbook_id": "payments",
            "declared_at": T0,
            "resolved_at": None,
            "summary": None,
            "channel_id": "C_INC1",
            "channel_name": "inc-20261122-001-refunds-executed-twice",
            "card_ts": "1700000000.000100",
            "announcement_channel": "C_ANNOUNCE",
            "announcement_ts": "1700000000.000200",
            "setup_state": "done",
            "setup_done": "channel,invite,topic,card,announce",
        },
        later={
            "0005": {"playbook_plan": "payments", "revision": 3, "shown_revision": 2},
            "0012": {"private": True},
        },
    ),
    Seed(
        "event",
        "0001",
        {
            "incident_id": INC,
            "at": T0,
            "actor": "U_BOB",
            "kind": "declared",
            "text": "Refunds executed twice",
            "data": {"severity": "sev1", "commander": "U_ALICE"},
        },
    ),
    Seed(
        "roleholder",
        "0001",
        {
            "incident_id": INC,
            "role_id": "scribe",
            "slot": "",
            "user_id": "U_CAROL",
            "assigned_at": _at(1),
        },
    ),
    Seed(
        "draft",
        "0002",
        {
            "id": "D0001",
            "incident_id": INC,
            "author": "U_ALICE",
            "text": "We are sorry for the double refunds",
            "found": "sorry",
            "state": "pending",
            "created_at": _at(2),
        },
        later={"0006": {"audience": "seller"}},
    ),
    Seed(
        "phasepost",
        "0002",
        {
            "incident_id": INC,
            "playbook_id": "payments",
            "phase": 0,
            "ts": "1700000000.000300",
            "due_at": _at(30),
        },
    ),
    Seed(
        "stepstate",
        "0002",
        {
            "incident_id": INC,
            "playbook_id": "payments",
            "phase": 0,
            "step": 1,
            "status": "done",
            "actor": "U_ALICE",
            "at": _at(3),
            "assignee": "U_CAROL",
            "note": "refund job paused",
        },
    ),
    Seed(
        "checklistrun",
        "0003",
        {
            "id": "R0001",
            "checklist_id": "pre-launch",
            "incident_id": INC,
            "channel_id": "C_INC1",
            "ts": "1700000000.000400",
            "posted_at": _at(4),
        },
    ),
    Seed(
        "timer",
        "0003",
        {
            "id": f"update:{INC}",
            "incident_id": INC,
            "kind": "update",
            "key": "",
            "due_at": _at(15),
            "fired": 1,
            "last_fired_at": _at(5),
        },
    ),
    Seed(
        "checklisttick",
        "0003",
        {"run_id": "R0001", "item": 0, "user_id": "U_ALICE", "checked": True, "at": _at(6)},
    ),
    Seed("delivery", "0004", {"key": "cmd:T1:1", "seen_at": _at(7)}, dropped_in="0005"),
    Seed(
        "inbox",
        "0005",
        {
            "key": "cmd:T1:2",
            "kind": "command",
            "payload": {"text": "status identified", "user_id": "U_ALICE"},
            "received_at": _at(8),
            "state": "done",
            "lease_until": None,
            "attempts": 1,
        },
    ),
    Seed("heartbeat", "0005", {"replica": "host-1:4242", "beat_at": _at(9)}),
    Seed(
        "outboxpost",
        "0005",
        {
            "incident_id": INC,
            "channel": None,
            "text": "Status: identified",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Identified*"}}],
            "created_at": _at(10),
            "lease_until": _at(11),
            "attempts": 2,
            "posted": False,
            "ts": None,
        },
        later={"0011": {"thread_ts": "1700000000.000200"}},
    ),
    Seed("lease", "0005", {"resource": f"setup:{INC}", "owner": "host-1:4242", "until": _at(12)}),
    Seed(
        "alert",
        "0007",
        {
            "delivery": "alert:alertmanager:1",
            "position": 0,
            "source": "alertmanager",
            "format": "alertmanager",
            "fingerprint": "fp-refunds",
            "group_key": "payments/refunds",
            "status": "firing",
            "title": "Refund rate doubled",
            "severity": "critical",
            "link": "https://grafana.example/d/refunds",
            "labels": {"service": "payments"},
            "received_at": _at(13),
            "state": "routed",
            "incident_id": INC,
            "proposal_id": None,
            "resolved_at": None,
        },
    ),
    Seed(
        "alertproposal",
        "0007",
        {
            "id": "P0001",
            "group_key": "search/latency",
            "title": "Search latency high",
            "severity": "sev2",
            "alerts": 2,
            "state": "open",
            "created_at": _at(14),
            "decided_by": None,
            "decided_at": None,
            "incident_id": None,
            "channel": "C_ANNOUNCE",
            "ts": "1700000000.000500",
        },
    ),
    Seed(
        "page",
        "0008",
        {
            "incident_id": INC,
            "level": 1,
            "target": "pagerduty:primary-oncall",
            "service": "pagerduty",
            "action": "trigger",
            "state": "sent",
            "summary": "SEV-1 Refunds executed twice",
            "details": {"level": 1},
            "rank": 0,
            "by": None,
            "attempts": 1,
            "created_at": _at(15),
            "next_attempt_at": _at(15),
            "lease_until": _at(16),
            "sent_at": _at(15),
            "last_error": None,
            "failure_told": False,
        },
    ),
    Seed(
        "followup",
        "0009",
        {
            "incident_id": INC,
            "text": "Alert on duplicate refunds",
            "owner_id": "U_BOB",
            "due_on": date(2026, 11, 27),
            "state": "open",
            "created_by": "U_ALICE",
            "created_at": _at(17),
            "done_by": None,
            "done_at": None,
            "post_id": None,
        },
    ),
    Seed(
        "timelinemessage",
        "0010",
        {
            "incident_id": INC,
            "channel_id": "C_INC1",
            "ts": "1700000000.000600",
            "added_by": "U_CAROL",
            "added_at": _at(18),
        },
    ),
    Seed(
        "statuspagecall",
        "0013",
        {
            "incident_id": INC,
            "action": "create",
            "status": "investigating",
            "name": "Refunds executed twice",
            "body": "We are investigating double refunds.",
            "impact": "major",
            "state": "pending",
            "attempts": 0,
            "created_at": _at(19),
            "next_attempt_at": _at(19),
            "lease_until": _at(19),
            "sent_at": None,
            "statuspage_id": None,
            "last_error": None,
            "failure_told": False,
        },
        later={"0014": {"create_key": INC}},
    ),
]


def _typed(name: str, value: Any) -> Any:
    """A bound parameter typed as the bot's columns are, so that each driver gets the value
    the bot's own writes gave it (SQLite's text timestamps, asyncpg's datetime objects)."""
    if isinstance(value, datetime):
        return bindparam(name, value, type_=UTCDateTime())
    if isinstance(value, bool):
        return bindparam(name, value, type_=Boolean())
    if isinstance(value, date):
        return bindparam(name, value, type_=Date())
    if isinstance(value, dict | list):
        return bindparam(name, value, type_=JSON())
    return bindparam(name, value)


def _insert(connection: Connection, table: str, values: dict[str, Any]) -> None:
    columns = ", ".join(values)
    placeholders = ", ".join(f":{name}" for name in values)
    statement = text(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})")
    connection.execute(statement.bindparams(*(_typed(k, v) for k, v in values.items())))


def _make_at(revision: str) -> Any:
    def make(connection: Connection) -> None:
        revisions.upgrade(connection, revision)
        for seed in SEEDS:
            if seed.exists_at(revision):
                _insert(connection, seed.table, seed.values_at(revision))

    return make


def _models() -> dict[str, type[SQLModel]]:
    return {mapper.local_table.name: mapper.class_ for mapper in SQLModel._sa_registry.mappers}


def test_every_table_has_a_seed_row():
    """A table added by a later migration gets a row here, so its upgrade is tested too."""
    seeded = {seed.table for seed in SEEDS if seed.dropped_in is None}
    assert seeded == set(SQLModel.metadata.tables)


@asynccontextmanager
async def _database(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    if kind == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'old.db'}")
        try:
            yield database
        finally:
            await database.dispose()
        return
    async with postgres_schema() as schema:
        database = Database(POSTGRES_URL, schema=schema)
        try:
            yield database
        finally:
            await database.dispose()


async def _rows_kept(database: Database, revision: str) -> None:
    """Each seeded row is there once and reads back through the models as written; columns
    added after `revision` hold the models' defaults."""
    models = _models()
    async with database.reader() as session:
        for seed in SEEDS:
            if seed.dropped_in is not None:
                continue
            found = (await session.exec(select(models[seed.table]))).all()
            if not seed.exists_at(revision):
                assert found == [], seed.table
                continue
            assert len(found) == 1, seed.table
            expected = seed.values_at(revision)
            for name, info in models[seed.table].model_fields.items():
                if name in expected:
                    assert getattr(found[0], name) == expected[name], (seed.table, name)
                elif name != "id":
                    assert getattr(found[0], name) == info.get_default(call_default_factory=True)


async def _repo_works(database: Database) -> None:
    """The bot's repository reads the old rows and writes new ones after them."""
    async with database.transaction() as session:
        incident = await repo.get_incident(session=session, incident=INC)
        assert incident is not None and incident.commander_id == "U_ALICE"
        assert await repo.role_holders(session=session, incident=INC) == {"scribe": ["U_CAROL"]}
        fields = IncidentBase(
            title="Search down", severity="sev2", commander_id="U_A", declared_by="U_A"
        )
        second = await repo.create_incident(
            session=session,
            fields=fields,
            day=T0.date(),
            now=_at(60),
            id_for=lambda day, seq: f"INC-{day.isoformat()}-{seq:03d}",
        )
        assert second.id == "INC-2026-11-22-002"  # the day's sequence carried on
    async with database.reader() as session:
        assert [e.kind for e in await repo.timeline(session=session, incident=INC)] == ["declared"]
        events = (await session.exec(select(Event))).all()
        assert sorted(e.incident_id for e in events) == [INC, "INC-2026-11-22-002"]
        assert len({e.id for e in events}) == 2
        assert len((await session.exec(select(Incident))).all()) == 2


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("revision", CHAIN[:-1])
async def test_a_database_at_an_earlier_revision_upgrades_with_its_rows(revision, kind, tmp_path):
    async with _database(kind, tmp_path) as database:
        async with database.engine.begin() as conn:
            await conn.run_sync(_make_at(revision))
        assert await database.revision() == revision
        assert await database.migrate() == revision
        assert await database.revision() == revisions.head()
        await _rows_kept(database, revision)
        async with database.engine.connect() as conn:
            assert await conn.run_sync(schema_drift) == []
            assert not await conn.run_sync(lambda c: inspect(c).has_table("delivery"))
        await _repo_works(database)
