"""Routing alerts from monitoring: join an open incident, declare one, or ask first.

A request's alerts were kept (in the inbox) before its sender was answered. Routing then
records each alert once (a replay skips what is recorded) and sends it where it belongs,
one alert at a time per process, under a lease per group across replicas:
- the same alert firing again, or another of its group, joins the group's open incident
  (a timeline line; never a second incident), or its open "Declare incident?" question;
- a new group at a severity whose pack says `on_alert: declare` declares an incident at
  once (commanded by ALERT_COMMANDER), otherwise asks in INCIDENTS_CHANNEL;
- a resolved alert is noted in its incident, and when none of the incident's alerts is
  still firing the channel is told it may be resolved (it never resolves by itself).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks.alerts import proposal_blocks, proposal_text
from bot.blocks.format import user_text
from bot.clock import Clock
from bot.domain.alert_rules import Observation
from bot.domain.alerts import IncomingAlert, group_of, severity_of
from bot.replica import Replica
from bot.services import leasing, outbox
from bot.services.channel_setup import set_up_or_explain
from bot.services.declare import Declaration, declare_incident
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import alerts, inbox, repo
from storage.db import Database
from storage.models import Alert, AlertProposal, Incident, OutboxPost

log = logging.getLogger(__name__)
BATCH = "alert_batch"  # the inbox payload type of a request's alerts
GROUP_LEASE = timedelta(seconds=30)
DEFAULT_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class Collaborators:
    """What routing needs."""

    db: Database
    slack: SlackGateway
    pack: Pack
    clock: Clock
    settings: Settings
    replica: Replica


def batch_payload(fmt: str, source: str, found: list[IncomingAlert]) -> dict[str, Any]:
    """The inbox payload of a request's alerts (parsed once, replayed as they are)."""
    return {"type": BATCH, "format": fmt, "source": source, "alerts": [_dump(a) for a in found]}


def _dump(alert: IncomingAlert) -> dict[str, Any]:
    return {
        "fingerprint": alert.fingerprint,
        "status": alert.status,
        "title": alert.title,
        "group_key": alert.group_key,
        "labels": dict(alert.labels),
        "observations": [[o.metric, o.value, o.lasted.total_seconds()] for o in alert.observations],
        "link": alert.link,
    }


def _load(data: dict[str, Any]) -> IncomingAlert:
    return IncomingAlert(
        fingerprint=data["fingerprint"],
        status=data["status"],
        title=data["title"],
        group_key=data.get("group_key", ""),
        labels=data.get("labels", {}),
        observations=tuple(
            Observation(m, float(v), timedelta(seconds=s)) for m, v, s in data["observations"]
        ),
        link=data.get("link"),
    )


async def route_batch(key: str, payload: dict[str, Any], c: Collaborators) -> int:
    """Record and route a request's alerts; returns how many were routed now."""
    now = c.clock()
    rows = [
        _row(key, position, _load(data), payload, c.pack, now)
        for position, data in enumerate(payload.get("alerts", []))
    ]
    async with c.db.transaction() as session:
        await alerts.record(session=session, rows=rows)
    async with c.db.reader() as session:
        todo = list(await alerts.pending(session=session, delivery=key))
    declared = []
    for alert in todo:
        async with c.replica.alert_routing:
            declared += await _route(alert, c)
    async with c.db.transaction() as session:
        await inbox.finish(session=session, key=key)
    # Channels are set up outside the routing lock: a setup waiting out Slack's rate limit
    # must not hold up other groups' alerts. (A process that dies first leaves them to the
    # pending-setup pass, like any declaration.)
    await asyncio.gather(*(_set_up(incident, c) for incident in declared))
    return len(todo)


def _row(
    key: str,
    position: int,
    alert: IncomingAlert,
    payload: dict[str, Any],
    pack: Pack,
    now: datetime,
) -> dict[str, Any]:
    return {
        "delivery": key,
        "position": position,
        "source": str(payload.get("source", ""))[:64],
        "format": str(payload.get("format", ""))[:16],
        "fingerprint": alert.fingerprint[:200],
        "group_key": group_of(alert, pack.alert_grouping.labels)[:300],
        "status": alert.status,
        "title": alert.title,
        "severity": severity_of(alert, pack),
        "link": alert.link,
        "labels": dict(alert.labels),
        "received_at": now,
    }


async def _route(alert: Alert, c: Collaborators) -> list[str]:
    """Send one alert where it belongs, holding its group's lease (other replicas wait);
    returns the incident it declared, if any, for its channel to be set up."""
    for _ in range(50):
        async with leasing.held(
            f"alert-group:{alert.group_key}"[:160],
            GROUP_LEASE,
            db=c.db,
            clock=c.clock,
            replica=c.replica,
        ) as ours:
            if ours:
                if alert.status == "resolved":
                    await _resolved(alert, c)
                    return []
                return await _firing(alert, c)
        await asyncio.sleep(0.1)  # another replica routes this group right now
    log.warning("alert %s left pending: its group stayed busy", alert.id)
    return []


async def _firing(alert: Alert, c: Collaborators) -> list[str]:
    now = c.clock()
    window = c.pack.alert_grouping.window
    since = now - (window.as_timedelta() if window and not window.is_business else DEFAULT_WINDOW)
    owed: list[OutboxPost] = []
    async with c.db.transaction() as session:
        incident = await alerts.open_incident_for(
            session=session, fingerprint=alert.fingerprint, group_key=alert.group_key
        )
        if incident is not None:
            await _join(session, alert, incident, now)
            return []
        proposal = await alerts.open_proposal_for(
            session=session, group_key=alert.group_key, since=since
        )
        if proposal is not None:
            await alerts.route(session=session, alert=alert.id or 0, proposal=proposal.id)
            await alerts.grow_proposal(session=session, proposal=proposal.id)
            return []
        severity = c.pack.severity(alert.severity or "") or c.pack.severities[-1]
        if severity.on_alert != "declare" or not c.settings.alert_commander:
            owed = await _propose(session, alert, severity.id, c, now)
    if owed:
        await outbox.deliver(owed, db=c.db, slack=c.slack, replica=c.replica)
        return []
    return [await _declare(alert, severity.id, c)]


async def _join(session: AsyncSession, alert: Alert, incident: str, now: datetime) -> None:
    await alerts.route(session=session, alert=alert.id or 0, incident=incident)
    repo.add_event(
        session=session,
        event=repo.new_event(
            incident=incident,
            at=now,
            actor=None,
            kind="alert_fired",
            text=alert.title,
            source=alert.source,
            fingerprint=alert.fingerprint,
        ),
    )


async def _propose(
    session: AsyncSession, alert: Alert, severity: str, c: Collaborators, now: datetime
) -> list[OutboxPost]:
    """Ask in INCIDENTS_CHANNEL, with the alert's severity pre-selected."""
    proposal = AlertProposal(
        id=secrets.token_hex(8),
        group_key=alert.group_key,
        title=alert.title,
        severity=severity,
        created_at=now,
    )
    alerts.add_proposal(session=session, proposal=proposal)
    await alerts.route(session=session, alert=alert.id or 0, proposal=proposal.id)
    named = c.pack.severity(severity)
    why = "the alert's label or the pack's alert rules" if alert.severity else "no rule matched"
    if named and named.on_alert == "declare" and not c.settings.alert_commander:
        why += "; set ALERT_COMMANDER to declare these at once"
    text = proposal_text(
        title=alert.title,
        source=alert.source,
        severity=named.name if named else severity,
        why=why,
        link=alert.link,
    )
    blocks = proposal_blocks(
        proposal=proposal.id,
        text=text,
        severities=[(s.id, s.name) for s in c.pack.severities],
        chosen=severity,
    )
    channel = c.slack.announcement_channel_id or c.settings.incidents_channel
    return [
        outbox.owe_elsewhere(
            session,
            channel,
            f"Declare incident? {user_text(alert.title, 200)}",
            blocks,
            clock=c.clock,
        )
    ]


async def _declare(alert: Alert, severity: str, c: Collaborators) -> str:
    """Declare at once, with ALERT_COMMANDER in command; returns the incident's ID."""

    async def along(session: AsyncSession, incident: Incident) -> None:
        await _join(session, alert, incident.id, c.clock())

    declaration = Declaration(
        title=alert.title,
        severity=severity,
        declarer=c.settings.alert_commander or "",
        description=f"Declared from an alert ({alert.source}): {alert.title}"
        + (f"\n{alert.link}" if alert.link else ""),
    )
    incident = await declare_incident(
        declaration,
        db=c.db,
        pack=c.pack,
        clock=c.clock,
        replica=c.replica,
        calendar=c.settings.calendar,
        along=along,
    )
    return incident.id


async def _set_up(incident: str, c: Collaborators) -> None:
    await set_up_or_explain(
        incident,
        db=c.db,
        slack=c.slack,
        pack=c.pack,
        clock=c.clock,
        settings=c.settings,
        replica=c.replica,
    )


async def _resolved(alert: Alert, c: Collaborators) -> None:
    """Note the resolution in the alert's incident; say so when none still fires."""
    now = c.clock()
    owed: list[OutboxPost] = []
    async with c.db.transaction() as session:
        incident_ids, proposals = await alerts.resolve_firing(
            session=session, fingerprint=alert.fingerprint, at=now
        )
        first = sorted(incident_ids)[0] if incident_ids else None
        await alerts.route(
            session=session,
            alert=alert.id or 0,
            incident=first,
            proposal=sorted(proposals)[0] if proposals else None,
            resolved_at=now,
        )
        found = await repo.get_incidents(session=session, ids=sorted(incident_ids))
        for incident in found.values():
            if incident.status == "resolved":
                continue
            owed += await _note_resolved(session, incident, alert, now, c)
    if owed:
        await outbox.deliver(owed, db=c.db, slack=c.slack, replica=c.replica)


async def _note_resolved(
    session: AsyncSession, incident: Incident, alert: Alert, now: datetime, c: Collaborators
) -> list[OutboxPost]:
    repo.add_event(
        session=session,
        event=repo.new_event(
            incident=incident.id,
            at=now,
            actor=None,
            kind="alert_resolved",
            text=alert.title,
            source=alert.source,
            fingerprint=alert.fingerprint,
        ),
    )
    text = f":large_green_circle: Alert resolved: {user_text(alert.title, 300)}."
    if not await alerts.still_firing(session=session, incident=incident.id):
        text += (
            " Every alert of this incident has resolved: if it is over, resolve it with "
            "`/incident resolve`."
        )
    return [outbox.owe(session, incident, text, clock=c.clock)]
