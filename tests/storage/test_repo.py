"""Storage behaviour on a real SQLite file and, when reachable, the local PostgreSQL."""

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from bot.domain.naming import incident_id
from storage import repo
from storage.db import Database
from storage.models import IncidentBase

NOW = datetime(2026, 11, 22, 14, 2, tzinfo=UTC)


def fields(title="Refunds executed twice", commander="U_ALICE", severity="sev1"):
    return IncidentBase(
        title=title, severity=severity, commander_id=commander, declared_by=commander
    )


async def declare(db: Database, *, day=date(2026, 11, 22), now=NOW, **kw):
    async with db.transaction() as session:
        return await repo.create_incident(
            session=session, fields=fields(**kw), day=day, now=now, id_for=incident_id
        )


async def test_ids_are_sequential_per_day(db):
    first = await declare(db)
    second = await declare(db)
    next_day = await declare(db, day=date(2026, 11, 23), now=NOW + timedelta(days=1))
    assert [first.id, second.id, next_day.id] == [
        "INC-2026-11-22-001",
        "INC-2026-11-22-002",
        "INC-2026-11-23-001",
    ]


async def test_concurrent_declarations_get_unique_sequential_ids(db):
    incidents = await asyncio.gather(*(declare(db, title=f"t{i}") for i in range(12)))
    ids = sorted(i.id for i in incidents)
    assert ids == [f"INC-2026-11-22-{n:03d}" for n in range(1, 13)]


async def test_declaration_commits_incident_and_declared_event(db):
    incident = await declare(db)
    async with db.session() as session:
        stored = await repo.get_incident(session=session, incident=incident.id)
        events = await repo.timeline(session=session, incident=incident.id)
    assert stored is not None and stored.declared_at == NOW
    assert [(e.kind, e.actor, e.text) for e in events] == [
        ("declared", "U_ALICE", "Refunds executed twice")
    ]
    assert events[0].at.tzinfo is not None


async def test_open_incidents_are_counted_per_severity(db):
    for severity in ("sev1", "sev2", "sev2", "sev3"):
        await declare(db, severity=severity)
    resolved = await declare(db, severity="sev3")
    async with db.transaction() as session:
        await session.exec(
            text("UPDATE incident SET status = 'resolved' WHERE id = :id").bindparams(
                id=resolved.id
            )
        )
    async with db.reader() as session:
        counts = await repo.count_open_by_severity(session=session)
    assert counts == {"sev1": 1, "sev2": 2, "sev3": 1}


async def handover(db, incident, *, expected, new, at=NOW):
    event = repo.new_event(
        incident=incident,
        at=at,
        actor=expected,
        kind="commander_changed",
        text=f"{expected} -> {new}",
        old=expected,
        new=new,
    )
    async with db.transaction() as session:
        return await repo.change_if(
            session=session,
            incident=incident,
            field="commander_id",
            expected=expected,
            new=new,
            event=event,
        )


async def test_racing_handovers_leave_exactly_one_commander_and_agree_with_timeline(db):
    incident = await declare(db)
    results = await asyncio.gather(
        *(
            handover(db, incident.id, expected="U_ALICE", new=u)
            for u in ("U_BOB", "U_CAROL", "U_DAVE", "U_ERIN")
        )
    )
    assert sum(results) == 1
    async with db.session() as session:
        stored = await repo.get_incident(session=session, incident=incident.id)
        changes = [
            e
            for e in await repo.timeline(session=session, incident=incident.id)
            if e.kind == "commander_changed"
        ]
    assert len(changes) == 1
    assert changes[0].data["new"] == stored.commander_id
    assert stored.commander_id in {"U_BOB", "U_CAROL", "U_DAVE", "U_ERIN"}


async def test_commander_cannot_be_null_in_the_database(db):
    incident = await declare(db)
    async with db.engine.begin() as conn:
        try:
            await conn.execute(
                text("UPDATE incident SET commander_id = NULL WHERE id = :i"), {"i": incident.id}
            )
        except Exception as error:  # noqa: BLE001
            assert "null" in str(error).lower() or "NOT NULL" in str(error)
        else:
            raise AssertionError("the database accepted an incident without a commander")


async def test_single_role_keeps_one_holder_under_races(db):
    incident = await declare(db)

    async def take(user):
        event = repo.new_event(
            incident=incident.id, at=NOW, actor=user, kind="role_assigned", text=f"scribe: {user}"
        )
        async with db.transaction() as session:
            return await repo.assign_role(
                session=session,
                incident=incident.id,
                role="scribe",
                user=user,
                single=True,
                expected=None,
                now=NOW,
                event=event,
            )

    results = await asyncio.gather(*(take(u) for u in ("U1", "U2", "U3")))
    assert sum(results) == 1
    async with db.session() as session:
        holders = await repo.role_holders(session=session, incident=incident.id)
        kinds = [e.kind for e in await repo.timeline(session=session, incident=incident.id)]
    assert len(holders["scribe"]) == 1
    assert kinds.count("role_assigned") == 1


async def test_open_list_and_timeline_survive_a_new_engine(db, tmp_path):
    incident = await declare(db)
    async with db.transaction() as session:
        repo.add_event(
            session=session,
            event=repo.new_event(
                incident=incident.id,
                at=NOW + timedelta(minutes=1),
                actor="U_BOB",
                kind="note_added",
                text="rolled back",
            ),
        )
    again = Database(db.raw_url, schema=db.schema)
    try:
        async with again.session() as session:
            open_ids = [i.id for i in await repo.list_open(session=session)]
            events = await repo.timeline(session=session, incident=incident.id)
    finally:
        await again.dispose()
    assert open_ids == [incident.id]
    assert [e.kind for e in events] == ["declared", "note_added"]


async def test_an_incident_has_one_statuspage_create_however_many_are_owed(db):
    from storage import statuspage as calls

    incident = await declare(db)
    kw = {"status": "investigating", "body": "We are on it", "name": "Checkout", "impact": None}
    async with db.transaction() as session:
        first = await calls.owe_create(session=session, incident=incident.id, now=NOW, **kw)
    async with db.transaction() as session:
        again = await calls.owe_create(session=session, incident=incident.id, now=NOW, **kw)
        owed = await calls.for_incident(session=session, incident=incident.id)
    assert (first, again) == (True, False)
    assert [c.action for c in owed] == ["create"]
