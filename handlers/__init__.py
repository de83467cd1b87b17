"""Thin Bolt listeners. Each module has `register(app, deps)`; this one registers them all."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers import (
    alerts,
    card,
    card_forms,
    checklists,
    comms,
    declare_modal,
    deliveries,
    escalate,
    events,
    evidence,
    follow_ups,
    handover,
    home,
    incident_command,
    incident_log,
    lifecycle,
    listening,
    steps,
)


def register(app: AsyncApp, deps: Deps) -> None:
    """Bind every listener to the app, behind the intake that keeps deliveries durable."""
    deliveries.register(app, deps)
    listening.register(app, deps)
    incident_command.register(app, deps)
    declare_modal.register(app, deps)
    incident_log.register(app, deps)
    events.register(app, deps)
    steps.register(app, deps)
    comms.register(app, deps)
    checklists.register(app, deps)
    handover.register(app, deps)
    escalate.register(app, deps)
    alerts.register(app, deps)
    card.register(app, deps)
    card_forms.register(app, deps)
    follow_ups.register(app, deps)
    evidence.register(app, deps)
    lifecycle.register(app, deps)
    home.register(app, deps)
