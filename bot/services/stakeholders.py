"""Stakeholder updates: every update is also replied under the incident's announcement in
INCIDENTS_CHANNEL, so people who follow incidents there see it without joining."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks.stakeholders import thread_update_line
from bot.clock import Clock
from bot.services import outbox
from playbooks.model import Pack
from storage.models import Incident, OutboxPost


def announced(pack: Pack, incident: Incident) -> bool:
    """Whether the incident has (or will have) an announcement: not at a severity the pack
    does not announce."""
    severity = pack.severity(incident.severity)
    return severity is None or severity.announce


def owe_thread_update(
    session: AsyncSession,
    incident: Incident,
    *,
    label: str,
    author: str,
    text: str,
    pack: Pack,
    clock: Clock,
) -> list[OutboxPost]:
    """Owe the update's reply under the announcement in the caller's unit of work (none
    when there is no announcement)."""
    post = outbox.owe_in_announcement_thread(
        session,
        incident,
        thread_update_line(label=label, author=author, text=text),
        announced=announced(pack, incident),
        clock=clock,
    )
    return [post] if post is not None else []
