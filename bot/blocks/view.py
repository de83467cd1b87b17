"""The incident as the builders see it: already-resolved names, no storage types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# How a private incident is named where non-members can see it (no title, no channel).
PRIVATE_INCIDENT = "a private incident"


@dataclass(frozen=True)
class RoleLine:
    """A role and who holds it."""

    role_id: str
    name: str
    holders: tuple[str, ...] = ()
    single: bool = False  # at most one holder at a time

    @property
    def free(self) -> bool:
        """Someone may still take it: nobody holds it, or it is not single."""
        return not self.single or not self.holders


@dataclass(frozen=True)
class IncidentView:
    """Everything a card, topic or announcement shows."""

    id: str
    title: str
    severity: str
    severity_name: str
    status: str
    commander: str
    declared_at: datetime
    declared_by: str
    description: str = ""
    channel_id: str | None = None
    roles: tuple[RoleLine, ...] = field(default_factory=tuple)
    resolved_at: datetime | None = None
    summary: str | None = None  # the resolution, without its root cause and prevention
    root_cause: str | None = None
    prevention: tuple[str, ...] = ()
    severities: tuple[tuple[str, str], ...] = ()  # the pack's (id, name), for the card's select
    private: bool = False  # announced without its title or channel; listed only to members

    @property
    def status_label(self) -> str:
        """`Investigating`, `Resolved`, …"""
        return self.status.capitalize()
