"""Repository functions for alerts and "Declare incident?" proposals (they never commit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Alert, AlertProposal, Incident


async def record(*, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Record a request's alerts, skipping those a replay already recorded."""
    if not rows:
        return
    delivery = rows[0]["delivery"]
    known = set(
        (await session.exec(select(Alert.position).where(col(Alert.delivery) == delivery))).all()
    )
    for row in rows:
        if row["position"] not in known:
            session.add(Alert(**row))


async def pending(*, session: AsyncSession, delivery: str) -> Sequence[Alert]:
    """A request's alerts not routed yet, in the order they came."""
    result = await session.exec(
        select(Alert)
        .where(col(Alert.delivery) == delivery, col(Alert.state) == "pending")
        .order_by(col(Alert.position))
    )
    return result.all()


async def open_incident_for(
    *, session: AsyncSession, fingerprint: str, group_key: str
) -> str | None:
    """The open incident an alert joins: one with the same alert firing, else one of its
    group (alert storms make one incident)."""
    for match in (col(Alert.fingerprint) == fingerprint, col(Alert.group_key) == group_key):
        result = await session.exec(
            select(Alert.incident_id)
            .join(Incident, col(Incident.id) == col(Alert.incident_id))
            .where(match, col(Incident.status) != "resolved")
            .order_by(col(Alert.id).desc())
            .limit(1)
        )
        found = result.first()
        if found:
            return found
    return None


async def open_proposal_for(
    *, session: AsyncSession, group_key: str, since: datetime
) -> AlertProposal | None:
    """The group's "Declare incident?" question raised since `since` that is still open,
    or was dismissed (a dismissed group stays quiet for its window)."""
    result = await session.exec(
        select(AlertProposal)
        .where(
            col(AlertProposal.group_key) == group_key,
            col(AlertProposal.state).in_(["open", "dismissed"]),
            col(AlertProposal.created_at) >= since,
        )
        .order_by(col(AlertProposal.created_at).desc())
        .limit(1)
    )
    return result.first()


async def route(
    *,
    session: AsyncSession,
    alert: int,
    incident: str | None = None,
    proposal: str | None = None,
    resolved_at: datetime | None = None,
) -> None:
    """Say where an alert went."""
    await session.exec(
        update(Alert)
        .where(col(Alert.id) == alert)
        .values(state="routed", incident_id=incident, proposal_id=proposal, resolved_at=resolved_at)
    )


async def resolve_firing(
    *, session: AsyncSession, fingerprint: str, at: datetime
) -> tuple[set[str], set[str]]:
    """Mark every firing alert with this fingerprint resolved; the incidents and
    proposals they belonged to."""
    result = await session.exec(
        select(Alert).where(col(Alert.fingerprint) == fingerprint, col(Alert.resolved_at).is_(None))
    )
    rows = result.all()
    for row in rows:
        row.resolved_at = at
        session.add(row)
    incidents = {r.incident_id for r in rows if r.incident_id}
    proposals = {r.proposal_id for r in rows if r.proposal_id}
    return incidents, proposals


async def still_firing(*, session: AsyncSession, incident: str) -> int:
    """How many of an incident's alerts have not resolved."""
    result = await session.exec(
        select(func.count())
        .select_from(Alert)
        .where(
            col(Alert.incident_id) == incident,
            col(Alert.status) == "firing",
            col(Alert.resolved_at).is_(None),
        )
    )
    return int(result.one())


def add_proposal(*, session: AsyncSession, proposal: AlertProposal) -> None:
    """Record a new "Declare incident?" question."""
    session.add(proposal)


async def grow_proposal(*, session: AsyncSession, proposal: str) -> None:
    """One more alert joined the question."""
    await session.exec(
        update(AlertProposal)
        .where(col(AlertProposal.id) == proposal)
        .values(alerts=AlertProposal.alerts + 1)
    )


async def get_proposal(*, session: AsyncSession, proposal: str) -> AlertProposal | None:
    """One question."""
    return await session.get(AlertProposal, proposal)


async def decide_proposal(
    *,
    session: AsyncSession,
    proposal: str,
    state: str,
    by: str,
    at: datetime,
    incident: str | None = None,
) -> bool:
    """Answer an open question (declared or dismissed); False when it was answered already."""
    result = await session.exec(
        update(AlertProposal)
        .where(col(AlertProposal.id) == proposal, col(AlertProposal.state) == "open")
        .values(state=state, decided_by=by, decided_at=at, incident_id=incident)
    )
    return bool(result.rowcount)


async def link_proposal_alerts(*, session: AsyncSession, proposal: str, incident: str) -> None:
    """The alerts of a question answered "Declare" belong to the new incident."""
    await session.exec(
        update(Alert).where(col(Alert.proposal_id) == proposal).values(incident_id=incident)
    )
