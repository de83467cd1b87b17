"""Turning stored incidents into the views the builders render."""

from __future__ import annotations

from typing import Any

from bot.blocks.choices import customer_warning_blocks
from bot.blocks.declare import SeverityChoice, declare_modal_view
from bot.blocks.notices import severity_notice_text
from bot.blocks.view import PRIVATE_INCIDENT, IncidentView, RoleLine
from bot.domain.alert_rules import describe
from bot.domain.incident_log import parse_resolution
from playbooks.model import Pack
from storage import repo
from storage.db import Database
from storage.models import Draft, Incident

__all__ = [
    "Incident",
    "alert_guidance",
    "declare_form",
    "incident_view",
    "load_view",
    "severity_name",
    "severity_notice",
    "wording_warning",
]


def severity_name(pack: Pack, severity: str) -> str:
    """The display name of a severity ID, falling back to the ID itself."""
    found = pack.severity(severity)
    return found.name if found else severity


def incident_view(incident: Incident, holders: dict[str, list[str]], pack: Pack) -> IncidentView:
    """An IncidentView with severity and role names from the pack."""
    roles = tuple(
        RoleLine(
            role_id=role.id,
            name=role.name,
            holders=tuple(holders.get(role.id, ())),
            single=role.single,
        )
        for role in pack.roles
        if role.id != "commander"
    )
    return IncidentView(
        id=incident.id,
        title=incident.title,
        severity=incident.severity,
        severity_name=severity_name(pack, incident.severity),
        status=incident.status,
        commander=incident.commander_id,
        declared_at=incident.declared_at,
        declared_by=incident.declared_by,
        description=incident.description,
        channel_id=incident.channel_id,
        roles=roles,
        resolved_at=incident.resolved_at,
        severities=tuple((s.id, s.name) for s in pack.severities),
        private=incident.private,
        **_resolution(incident.summary),
    )


def _resolution(summary: str | None) -> dict[str, Any]:
    """The stored resolve text, split into resolution, root cause and preventive actions."""
    if not summary:
        return {}
    resolution, root_cause, prevention = parse_resolution(summary)
    return {
        "summary": resolution or None,
        "root_cause": root_cause,
        "prevention": tuple(prevention),
    }


async def load_view(incident_id: str, *, db: Database, pack: Pack) -> tuple[Incident, IncidentView]:
    """Read the incident and its roles fresh from the database."""
    async with db.reader() as session:
        incident = await repo.get_incident(session=session, incident=incident_id)
        if incident is None:
            raise LookupError(incident_id)
        holders = await repo.role_holders(session=session, incident=incident_id)
    return incident, incident_view(incident, holders, pack)


def declare_form(
    pack: Pack,
    *,
    declarer: str,
    private_metadata: str,
    suggested: str | None = None,
    title: str = "",
    description: str = "",
    private: bool = False,
) -> dict[str, Any]:
    """The declare modal with this pack's severities and playbooks (title and description
    pre-filled when given; the private checkbox ticked when `private`)."""
    return declare_modal_view(
        [SeverityChoice(s.id, s.name, s.description) for s in pack.severities],
        declarer=declarer,
        playbooks=[(p.id, p.title) for p in pack.playbooks],
        private_metadata=private_metadata,
        suggested=suggested,
        guidance=alert_guidance(pack),
        title=title,
        description=description,
        private=private,
    )


def alert_guidance(pack: Pack) -> list[str]:
    """Guidance for choosing a severity: each level's examples (`SEV-1, e.g. Double refunds,
    Wrong auction winner`), then the alert rules (`P0: Payment success rate < 95% for 10m`)."""
    examples = [
        f"{s.name}, e.g. {'; '.join(s.examples[:5])}" for s in pack.severities if s.examples
    ]
    rules = [f"{severity_name(pack, r.severity)}: {describe(r)}" for r in pack.alert_rules]
    return examples + rules


def severity_notice(incident: Incident, pack: Pack) -> str:
    """What a channel the pack names for the incident's severity is told."""
    return severity_notice_text(
        severity=severity_name(pack, incident.severity),
        incident_id=incident.id,
        # Told without the title or channel: only the channel's members may see them.
        title=PRIVATE_INCIDENT if incident.private else incident.title,
        channel=None if incident.private else incident.channel_id,
        commander=incident.commander_id,
    )


def wording_warning(draft: Draft, pack: Pack) -> dict[str, Any]:
    """The private reply to a customer update held back for its wording (as `respond`
    arguments): the phrases found, the pack's template, Post anyway / Cancel."""
    return {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": "This customer update uses wording to avoid; nothing posted yet.",
        "blocks": customer_warning_blocks(
            found=draft.found.splitlines(),
            template=pack.comms.template,
            text=draft.text,
            draft_id=draft.id,
        ),
    }
