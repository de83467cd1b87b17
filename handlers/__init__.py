"""Thin Bolt listeners. Each module has `register(app, rt)`; this one registers them all."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from handlers import (
    checklists,
    comms,
    declare_modal,
    events,
    incident_command,
    intake,
    listening,
    steps,
)


def register(app: AsyncApp, rt: Runtime) -> None:
    """Bind every listener to the app, behind the intake that keeps deliveries durable."""
    intake.register(app, rt)
    listening.register(app, rt)
    incident_command.register(app, rt)
    declare_modal.register(app, rt)
    events.register(app, rt)
    steps.register(app, rt)
    comms.register(app, rt)
    checklists.register(app, rt)
