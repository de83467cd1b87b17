"""A playbook step's monitoring window: Start monitoring arms it; when it ends with the
step still open, the reminders service asks whoever started it to confirm stability."""

from __future__ import annotations

from bot.blocks.format import utc
from bot.blocks.notices import monitoring_started_text
from bot.clock import Clock
from bot.domain import incident as rules
from bot.domain.errors import BadCommand, InvalidTransition
from bot.domain.firings import step_key
from bot.domain.text import clip
from bot.domain.timers import TimerKind, timer_id
from bot.replica import Replica
from bot.services import outbox
from bot.services.playbook_steps import authorized_step
from bot.services.unit import unit_of_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import repo, timers
from storage.db import Database
from storage.models import Incident


async def start_monitoring(
    incident: Incident,
    *,
    actor: str,
    playbook_id: str,
    phase: int,
    step: int,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> None:
    """Start the step's window (once: a running one is not restarted), record it, and say
    until when in the channel."""
    rules.check_open(rules.Status(incident.status), "start monitoring")
    playbook, found = await authorized_step(
        incident, playbook_id, phase, step, actor, db=db, pack=pack, settings=settings
    )
    if found.monitor is None or found.monitor.is_business:
        raise BadCommand("That step has no monitoring window.")
    window = found.monitor.as_timedelta()
    now = clock()
    until = now + window
    async with unit_of_work(db) as session:
        running = await timers.start_if_idle(
            session=session,
            timer=timer_id(incident.id, TimerKind.MONITOR, step_key(playbook.id, phase, step)),
            incident=incident.id,
            kind=TimerKind.MONITOR,
            key=step_key(playbook.id, phase, step, actor),
            due=until,
        )
        if running is not None:
            raise InvalidTransition(f"Monitoring of this step already runs until {utc(running)}.")
        repo.add_event(
            session=session,
            event=repo.new_event(
                incident=incident.id,
                at=now,
                actor=actor,
                kind="monitoring_started",
                text=clip(found.text, 300),
                playbook=playbook.id,
                phase=phase,
                step=step,
                until=until.isoformat(),
            ),
        )
        line = monitoring_started_text(step=found.text, who=actor, window=window, until=until)
        post = outbox.owe(session, incident, line, clock=clock)
    await outbox.deliver([post], db=db, slack=slack, replica=replica)
