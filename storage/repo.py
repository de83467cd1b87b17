"""Repository functions: keyword-only, typed, and never committing (the service's unit of
work commits)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DaySequence, Event, Incident, IncidentBase, RoleHolder


def new_event(
    *, incident: str, at: datetime, actor: str | None, kind: str, text: str = "", **data: Any
) -> Event:
    """A timeline event, not yet added to a session."""
    return Event(incident_id=incident, at=at, actor=actor, kind=kind, text=text, data=data)


async def _next_seq(session: AsyncSession, day: str) -> int:
    """Atomically take the next number of the day (UPDATE … RETURNING, insert on first use)."""
    for _ in range(5):
        bumped = await session.exec(
            update(DaySequence)
            .where(col(DaySequence.day) == day)
            .values(last=DaySequence.last + 1)
            .returning(col(DaySequence.last))
        )
        seq = bumped.scalar_one_or_none()
        if seq is not None:
            return seq
        try:
            async with session.begin_nested():
                await session.exec(insert(DaySequence).values(day=day, last=1))
            return 1
        except IntegrityError:
            continue  # another declarer created the row first: bump it instead
    raise RuntimeError(f"could not allocate an incident number for {day}")


async def create_incident(
    *,
    session: AsyncSession,
    fields: IncidentBase,
    day: date,
    now: datetime,
    id_for: Callable[[date, int], str],
    **extra: Any,
) -> Incident:
    """Allocate the day's next number, insert the incident and its `declared` event.

    `id_for(day, seq)` formats the ID; `extra` sets further columns (e.g. the setup plan).
    """
    day_text = day.isoformat()
    seq = await _next_seq(session, day_text)
    incident = Incident.model_validate(
        fields,
        update={"id": id_for(day, seq), "day": day_text, "seq": seq, "declared_at": now, **extra},
    )
    session.add(incident)
    await session.flush()  # the event's foreign key needs the incident row first
    session.add(
        new_event(
            incident=incident.id,
            at=now,
            actor=fields.declared_by,
            kind="declared",
            text=fields.title,
            severity=fields.severity,
            commander=fields.commander_id,
            description=fields.description,
        )
    )
    return incident


async def get_incident(*, session: AsyncSession, incident: str) -> Incident | None:
    """The incident with this ID, if any."""
    return await session.get(Incident, incident, populate_existing=True)


async def get_incidents(*, session: AsyncSession, ids: Sequence[str]) -> dict[str, Incident]:
    """The incidents with these IDs, by ID (one query)."""
    if not ids:
        return {}
    result = await session.exec(select(Incident).where(col(Incident.id).in_(list(set(ids)))))
    return {incident.id: incident for incident in result.all()}


async def get_by_channel(*, session: AsyncSession, channel_id: str) -> Incident | None:
    """The incident whose channel this is, if any."""
    result = await session.exec(select(Incident).where(Incident.channel_id == channel_id))
    return result.first()


async def list_open(*, session: AsyncSession) -> Sequence[Incident]:
    """Open incidents, newest first."""
    result = await session.exec(
        select(Incident)
        .where(Incident.status != "resolved")
        .order_by(col(Incident.declared_at).desc(), col(Incident.id).desc())
    )
    return result.all()


async def list_unfinished_setup(*, session: AsyncSession) -> Sequence[Incident]:
    """Incidents whose Slack setup has not finished (the bot died or Slack was down)."""
    result = await session.exec(
        select(Incident).where(Incident.setup_state != "ready").order_by(col(Incident.declared_at))
    )
    return result.all()


async def save_setup(*, session: AsyncSession, incident: Incident, **values: Any) -> None:
    """Persist setup progress (channel, card ts, steps done) on the incident row."""
    await session.exec(update(Incident).where(col(Incident.id) == incident.id).values(**values))
    for key, value in values.items():
        setattr(incident, key, value)


async def take_setup(
    *, session: AsyncSession, incident: str, owner: str, now: datetime, until: datetime
) -> bool:
    """Lease the setup of an incident's channel; False while another process holds it."""
    result = await session.exec(
        update(Incident)
        .where(
            col(Incident.id) == incident,
            col(Incident.setup_state) != "ready",
            or_(col(Incident.setup_lease_until).is_(None), col(Incident.setup_lease_until) < now),
        )
        .values(setup_owner=owner, setup_lease_until=until)
    )
    return result.rowcount == 1


async def release_setup(*, session: AsyncSession, incident: str, owner: str) -> None:
    """Give up our setup lease (after a failed pass), so the next pass need not wait."""
    await session.exec(
        update(Incident)
        .where(col(Incident.id) == incident, col(Incident.setup_owner) == owner)
        .values(setup_owner=None, setup_lease_until=None)
    )


async def renew_setups(
    *, session: AsyncSession, incidents: Sequence[str], owner: str, until: datetime
) -> None:
    """Extend the setup leases this process still holds (one it lost stays lost)."""
    if incidents:
        await session.exec(
            update(Incident)
            .where(col(Incident.id).in_(list(incidents)), col(Incident.setup_owner) == owner)
            .values(setup_lease_until=until)
        )


async def change_if(
    *,
    session: AsyncSession,
    incident: str,
    field: str,
    expected: str,
    new: str,
    event: Event,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Set `field` to `new` only if it still holds `expected`, and add `event`.

    This is the one-writer rule for the commander, severity and status: two racing changes
    both read the same `expected`, and the database lets exactly one of them through. The
    incident's revision goes up with it, so the display can tell it is behind.
    """
    column = getattr(Incident, field)
    result = await session.exec(
        update(Incident)
        .where(col(Incident.id) == incident, column == expected)
        .values({field: new, "revision": Incident.revision + 1, **(extra or {})})
    )
    if result.rowcount != 1:
        return False
    session.add(event)
    return True


async def hand_over_if(
    *, session: AsyncSession, incident: str, expected: str, new: str, event: Event
) -> bool:
    """Make `new` the commander only if `expected` still is: the database half of the
    one-commander rule (see `bot.domain.commander`). False when another hand-over won."""
    return await change_if(
        session=session,
        incident=incident,
        field="commander_id",
        expected=expected,
        new=new,
        event=event,
    )


async def bump_revision(*, session: AsyncSession, incident: str) -> None:
    """Note that what Slack shows of the incident (card, topic) must be redrawn."""
    await session.exec(
        update(Incident).where(col(Incident.id) == incident).values(revision=Incident.revision + 1)
    )


async def mark_shown(*, session: AsyncSession, incident: str, revision: int) -> None:
    """Record that Slack shows the incident as of `revision`."""
    await session.exec(
        update(Incident)
        .where(col(Incident.id) == incident, col(Incident.shown_revision) < revision)
        .values(shown_revision=revision)
    )


async def list_out_of_date(*, session: AsyncSession, limit: int = 50) -> Sequence[Incident]:
    """Set-up incidents whose card or topic in Slack is behind the database."""
    result = await session.exec(
        select(Incident)
        .where(
            col(Incident.shown_revision) < col(Incident.revision),
            Incident.setup_state == "ready",
        )
        .order_by(col(Incident.declared_at))
        .limit(limit)
    )
    return result.all()


async def role_holders(*, session: AsyncSession, incident: str) -> dict[str, list[str]]:
    """Role ID → user IDs holding it, in assignment order."""
    result = await session.exec(
        select(RoleHolder)
        .where(RoleHolder.incident_id == incident)
        .order_by(col(RoleHolder.assigned_at))
    )
    holders: dict[str, list[str]] = {}
    for row in result.all():
        holders.setdefault(row.role_id, []).append(row.user_id)
    return holders


async def assign_role(
    *,
    session: AsyncSession,
    incident: str,
    role: str,
    user: str,
    single: bool,
    expected: str | None,
    now: datetime,
    event: Event,
) -> bool:
    """Give `role` to `user`; for a single role only if its holder is still `expected`.

    False when someone else changed the role first; the session stays usable either way.
    """
    if single and expected is not None:
        result = await session.exec(
            update(RoleHolder)
            .where(
                col(RoleHolder.incident_id) == incident,
                col(RoleHolder.role_id) == role,
                col(RoleHolder.slot) == "",
                col(RoleHolder.user_id) == expected,
            )
            .values(user_id=user, assigned_at=now)
        )
        if result.rowcount != 1:
            return False
    else:
        try:
            async with session.begin_nested():
                session.add(
                    RoleHolder(
                        incident_id=incident,
                        role_id=role,
                        slot="" if single else user,
                        user_id=user,
                        assigned_at=now,
                    )
                )
        except IntegrityError:
            return False  # a racing assignment took the single slot first
    session.add(event)
    await bump_revision(session=session, incident=incident)
    return True


def add_event(*, session: AsyncSession, event: Event) -> Event:
    """Record one timeline event in the caller's unit of work."""
    session.add(event)
    return event


async def timeline(*, session: AsyncSession, incident: str) -> Sequence[Event]:
    """Every event of an incident, oldest first."""
    result = await session.exec(
        select(Event).where(Event.incident_id == incident).order_by(col(Event.at), col(Event.id))
    )
    return result.all()


async def last_event_at(
    *, session: AsyncSession, incident: str, kinds: Sequence[str]
) -> datetime | None:
    """When the newest event of these kinds happened, if any."""
    result = await session.exec(
        select(Event.at)
        .where(Event.incident_id == incident, col(Event.kind).in_(list(kinds)))
        .order_by(col(Event.at).desc())
        .limit(1)
    )
    return result.first()


async def count_incidents(*, session: AsyncSession) -> int:
    """How many incidents exist (for health and benchmarks)."""
    result = await session.exec(select(func.count()).select_from(Incident))
    return int(result.one())


async def count_open_by_severity(*, session: AsyncSession) -> dict[str, int]:
    """How many incidents are open, per severity (for metrics; every replica reads the same)."""
    result = await session.exec(
        select(Incident.severity, func.count())
        .where(Incident.status != "resolved")
        .group_by(col(Incident.severity))
    )
    return {severity: int(count) for severity, count in result.all()}


async def count_events(*, session: AsyncSession, incident: str, kind: str) -> int:
    """How many events of one kind an incident has."""
    result = await session.exec(
        select(func.count())
        .select_from(Event)
        .where(Event.incident_id == incident, Event.kind == kind)
    )
    return int(result.one())


async def declared_since(*, session: AsyncSession, since: datetime) -> Sequence[Incident]:
    """Incidents declared at or after `since`, oldest first."""
    result = await session.exec(
        select(Incident)
        .where(col(Incident.declared_at) >= since)
        .order_by(col(Incident.declared_at), col(Incident.id))
    )
    return result.all()


async def events_of_kinds(
    *, session: AsyncSession, incidents: Sequence[str], kinds: Sequence[str]
) -> Sequence[Event]:
    """The events of these kinds of these incidents, oldest first."""
    if not incidents:
        return []
    result = await session.exec(
        select(Event)
        .where(col(Event.incident_id).in_(list(incidents)), col(Event.kind).in_(list(kinds)))
        .order_by(col(Event.at), col(Event.id))
    )
    return result.all()
