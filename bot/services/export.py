"""The incident log: gather the record and timeline, render it with the pack's template.

`/incident log` posts it as Slack mrkdwn with people's names looked up in Slack;
`python -m bot export` prints it as Markdown (see `incident_log_markdown`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from bot.clock import Clock
from bot.domain.errors import UnknownIncident
from bot.domain.follow_ups import in_order
from bot.domain.incident_log import (
    LogEvent,
    LogInput,
    LogStyle,
    parse_resolution,
    people_in,
    render_incident_log,
)
from bot.domain.text import clip
from bot.services import people, posts
from bot.slack_gateway import SlackGateway
from playbooks.loader import PackError, load_pack
from playbooks.model import Pack
from storage import follow_ups, repo, steps
from storage.db import Database
from storage.models import Incident, StepState

LOG_LIMIT = 39000  # Slack truncates a message's text at 40,000 characters


def pack_for(pack_id: str, active: Pack) -> Pack:
    """The pack an incident was declared with (its template), else the active one."""
    if pack_id == active.id:
        return active
    try:
        return load_pack(pack_id)
    except PackError:
        return active


PRIVATE_HEADER = (
    "> **PRIVATE incident**: share this log only with the people in its private channel."
)


async def incident_log_markdown(
    *, db: Database, pack: Pack, incident_id: str, now: Callable[[], datetime]
) -> str:
    """The Markdown incident log of one incident, in its pack's template.

    This export has no Slack to ask for names (it reads only the database and the pack), so
    people show as their bare user IDs (`U0123`), never as `<@U0123>` mentions. A private
    incident's log starts with a PRIVATE line, so whoever is handed the file knows."""
    pack, data = await _log_input(db=db, pack=pack, incident_id=incident_id, now=now)
    log = render_incident_log(pack.incident_log, data)
    return f"{PRIVATE_HEADER}\n\n{log}" if data.private else log


async def _log_input(
    *, db: Database, pack: Pack, incident_id: str, now: Callable[[], datetime]
) -> tuple[Pack, LogInput]:
    """The incident's pack and everything its log shows."""
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
        still_open = await follow_ups.for_incident(
            session=session, incident=incident.id, state="open"
        )
    pack = pack_for(incident.pack_id, pack)
    flags = _features_disabled(states, pack)
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
        audiences={a.id: a.name for a in pack.comms.audiences},
        follow_ups=[(f.text, f.owner_id, f.due_on) for f in in_order(still_open)],
        private=incident.private,
    )
    return pack, data


def _features_disabled(states: Sequence[StepState], pack: Pack) -> list[str]:
    """The flags named by the steps done, in order, each once."""
    flags: list[str] = []
    for state in states:
        if state.status != "done":
            continue
        playbook = pack.playbook(state.playbook_id)
        if playbook and state.phase < len(playbook.phases):
            phase = playbook.phases[state.phase]
            if state.step < len(phase.steps):
                flags.extend(f for f in phase.steps[state.step].flags if f not in flags)
    return flags


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
    finds the earlier post instead of posting the log again. People are shown by name, so
    posting the log pings nobody."""
    if not incident.channel_id:
        return
    pack, data = await _log_input(db=db, pack=pack, incident_id=incident.id, now=clock)
    names = await people.names(people_in(data), slack=slack)
    text = render_incident_log(pack.incident_log, replace(data, names=names), LogStyle.MRKDWN)
    await posts.post_once(
        slack.client,
        channel=incident.channel_id,
        incident_id=incident.id,
        kind=f"log:{request_key}",
        text=clip(text, LOG_LIMIT),
        mrkdwn=True,
    )
