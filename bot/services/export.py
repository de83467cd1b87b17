"""The incident log: gather the record and timeline, render it with the pack's template."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.clock import Clock
from bot.domain.errors import UnknownIncident
from bot.domain.incident_log import LogEvent, LogInput, parse_resolution, render_incident_log
from bot.domain.text import clip, safe_mrkdwn
from bot.services import posts
from bot.slack_gateway import SlackGateway
from playbooks.loader import PackError, load_pack
from playbooks.model import Pack
from storage import repo, steps
from storage.db import Database
from storage.models import Incident

LOG_LIMIT = 39000  # Slack truncates a message's text at 40,000 characters


def _pack_for(pack_id: str, active: Pack) -> Pack:
    if pack_id == active.id:
        return active
    try:
        return load_pack(pack_id)
    except PackError:
        return active


async def incident_log_markdown(
    *, db: Database, pack: Pack, incident_id: str, now: Callable[[], datetime]
) -> str:
    """The Markdown incident log of one incident, in its pack's template."""
    async with db.reader() as session:
        incident = await repo.get_incident(session=session, incident=incident_id.strip().upper())
        if incident is None:
            raise UnknownIncident(
                f"No incident {incident_id.strip()!r}. IDs look like "
                "INC-2026-11-22-001; `/incident list` shows open ones."
            )
        holders = await repo.role_holders(session=session, incident=incident.id)
        events = await repo.timeline(session=session, incident=incident.id)
        states = await steps.all_step_states(session=session, incident=incident.id)
    pack = _pack_for(incident.pack_id, pack)
    flags: list[str] = []
    for state in states:
        if state.status != "done":
            continue
        playbook = pack.playbook(state.playbook_id)
        if playbook and state.phase < len(playbook.phases):
            phase = playbook.phases[state.phase]
            if state.step < len(phase.steps):
                flags.extend(f for f in phase.steps[state.step].flags if f not in flags)
    resolution, root_cause, actions = parse_resolution(incident.summary or "")
    data = LogInput(
        incident_id=incident.id,
        title=incident.title,
        status=incident.status,
        declared_at=incident.declared_at,
        declared_by=incident.declared_by,
        resolved_at=incident.resolved_at,
        commander=incident.commander_id,
        roles=[(r.name, holders.get(r.id, [])) for r in pack.roles if r.id != "commander"],
        severity_names={s.id: s.name for s in pack.severities},
        current_severity=incident.severity,
        events=[
            LogEvent(at=e.at, actor=e.actor, kind=e.kind, text=e.text, data=e.data) for e in events
        ],
        features_disabled=flags,
        resolution=resolution or None,
        root_cause=root_cause,
        preventive_actions=actions,
        pack_title=pack.title,
        now=now(),
        commander_role=pack.commander.name,
        description=incident.description,
    )
    return render_incident_log(pack.incident_log, data)


async def post_incident_log(
    incident: Incident,
    *,
    request_key: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
) -> None:
    """Post the incident log in the incident's channel, once per request.

    The post is named after the Slack delivery that asked for it: a replay after a crash
    finds the earlier post instead of posting the log again."""
    markdown = await incident_log_markdown(db=db, pack=pack, incident_id=incident.id, now=clock)
    if incident.channel_id:
        await posts.post_once(
            slack.client,
            channel=incident.channel_id,
            incident_id=incident.id,
            kind=f"log:{request_key}",
            text=clip(safe_mrkdwn(markdown), LOG_LIMIT),
            mrkdwn=True,
        )
