"""`/incident stats`: read the incidents and their timelines, then summarize (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain import stats
from bot.domain.cadence import cadence_of
from bot.domain.firings import RESPONSES
from playbooks.model import Pack
from storage import repo
from storage.db import Database
from storage.models import Event, Incident

REMINDER = "reminder_sent"


async def incident_stats(
    *, days: int, db: Database, pack: Pack, clock: Clock
) -> list[stats.SeverityStats]:
    """Per severity, the incidents declared in the last `days`."""
    now = clock()
    async with db.reader() as session:
        incidents = await repo.declared_since(session=session, since=now - timedelta(days=days))
        events = await repo.events_of_kinds(
            session=session, incidents=[i.id for i in incidents], kinds=(*RESPONSES, REMINDER)
        )
    by_incident: dict[str, list[Event]] = {}
    for event in events:
        by_incident.setdefault(event.incident_id, []).append(event)
    records = [_record(i, by_incident.get(i.id, []), pack, now) for i in incidents]
    return stats.summarize(records, [s.id for s in pack.severities])


def _record(
    incident: Incident, events: Sequence[Event], pack: Pack, now: datetime
) -> stats.IncidentRecord:
    """One incident as the statistics see it (its severity's cadence as it is now)."""
    responded = next(
        (e.at for e in events if e.kind in RESPONSES and e.actor and e.at >= incident.declared_at),
        None,
    )
    cadence = cadence_of(pack, incident.severity)
    open_for = (incident.resolved_at or now) - incident.declared_at
    return stats.IncidentRecord(
        severity=incident.severity,
        declared_at=incident.declared_at,
        first_response_at=responded,
        resolved_at=incident.resolved_at,
        reminders_fired=sum(1 for e in events if e.kind == REMINDER),
        reminders_expected=stats.expected_reminders(open_for, (cadence.internal, cadence.customer)),
    )
