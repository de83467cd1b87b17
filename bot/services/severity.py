"""Changing the severity: the clocks it replans, the decision maker it asks for, the
channels it tells, and the announcement it owes when raised to a level that makes one."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from bot.blocks import lines
from bot.blocks.decisions import decision_maker_blocks, decision_maker_text
from bot.blocks.lines import PRIVATE_NOW
from bot.blocks.notices import notify_text
from bot.clock import Clock
from bot.domain import incident as rules
from bot.domain import setup
from bot.domain.errors import (
    BadCommand,
)
from bot.domain.policy import require_command_authority
from bot.replica import Replica
from bot.services import channels
from bot.services.changes import commit_change, timeline_event
from bot.services.channel_setup import set_up_or_explain
from bot.services.display import show_change
from bot.services.views import severity_name, severity_notice
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack, Severity
from storage.db import Database
from storage.models import Event, Incident

log = logging.getLogger(__name__)


async def change_severity(
    incident: Incident,
    *,
    actor: str,
    text: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> None:
    """Change the severity; only the commander or an admin may."""
    found = _allowed_severity(incident, text, actor=actor, pack=pack, settings=settings)
    text, blocks = _severity_post(actor, incident, found, pack)
    reannounce = _announcement_owed(incident, found)
    extra = dict(reannounce or {})
    if found.private and not incident.private:  # shown only to those it involves from now on
        extra["private"] = True
        text += PRIVATE_NOW
    owed = await commit_change(
        incident,
        _severity_event(incident, found, pack, actor=actor, clock=clock),
        field="severity",
        value=found.id,
        line=text,
        blocks=blocks,
        elsewhere=await _notices(incident, found, pack=pack, slack=slack),
        extra=extra or None,
        replan=incident.model_copy(update={"severity": found.id}),
        calendar=settings.calendar,
        db=db,
        pack=pack,
        clock=clock,
    )
    await show_change(
        incident,
        owed,
        f"severity is {found.name}",
        db=db,
        slack=slack,
        pack=pack,
        clock=clock,
        replica=replica,
    )
    if reannounce:  # setup, resumed, posts the announcement this level wants
        await set_up_or_explain(
            incident.id,
            db=db,
            slack=slack,
            pack=pack,
            clock=clock,
            settings=settings,
            replica=replica,
        )


def _allowed_severity(
    incident: Incident, text: str, *, actor: str, pack: Pack, settings: Settings
) -> Severity:
    """The severity asked for, once the actor may change the incident to it."""
    found = _find_severity(text, pack=pack)
    _check_severity_change(incident, found, actor=actor, admins=settings.incident_admins)
    return found


def _check_severity_change(
    incident: Incident, found: Severity, *, actor: str, admins: Collection[str]
) -> None:
    """Only the commander or an admin, on an open incident, to another severity."""
    require_command_authority(
        "severity", actor=actor, commander=incident.commander_id, admins=admins
    )
    rules.check_open(rules.Status(incident.status), "change its severity")
    rules.check_severity_change(incident.severity, found.id)


async def _notices(
    incident: Incident, severity: Severity, *, pack: Pack, slack: SlackGateway
) -> list[tuple[str, str]]:
    """The (channel, text) notices for the channels the pack names for this severity."""
    text = severity_notice(incident.model_copy(update={"severity": severity.id}), pack)
    notices = []
    for name in severity.notify_channels:
        try:
            channel = await channels.channel_to_tell(name, slack=slack)
        except Exception as error:  # noqa: BLE001 - Slack down: the change itself goes on
            log.warning("could not find channel %r to tell of %s: %r", name, incident.id, error)
            continue
        if channel is not None:
            notices.append((channel, text))
    return notices


def _severity_post(
    actor: str, incident: Incident, severity: Severity, pack: Pack
) -> tuple[str, list[dict[str, Any]] | None]:
    """The line announcing the change; at a level whose decision maker the pack names, it
    also asks the commander to hand over to them (with a person picker)."""
    old_name, commander = severity_name(pack, incident.severity), incident.commander_id
    line = lines.severity_changed_line(actor=actor, old=old_name, new=severity.name)
    if severity.notify:
        line += notify_text(severity.name, severity.notify)
    if not severity.decision_maker:
        return line, None
    ask = {
        "line": line,
        "severity": severity.name,
        "decision_maker": severity.decision_maker,
        "commander": commander,
    }
    return decision_maker_text(**ask), decision_maker_blocks(**ask)


def _find_severity(text: str, *, pack: Pack) -> Severity:
    """The pack's severity this text names, or BadCommand listing the valid ones."""
    found = pack.severity(text.strip())
    if found is None:
        valid = ", ".join(s.id for s in pack.severities)
        raise BadCommand(f"`{text}` is not a severity. Use one of: {valid}.")
    return found


def _severity_event(
    incident: Incident, found: Severity, pack: Pack, *, actor: str, clock: Clock
) -> Event:
    old_name = severity_name(pack, incident.severity)
    return timeline_event(
        incident,
        actor=actor,
        kind="severity_changed",
        text=f"{old_name} → {found.name}",
        old=incident.severity,
        new=found.id,
        clock=clock,
    )


def _announcement_owed(incident: Incident, severity: Severity) -> dict[str, object] | None:
    """Raised from a level that makes no announcement to one that does: setup resumes to
    post it (the columns to change with the severity), else None."""
    if not severity.announce or incident.announcement_ts or incident.setup_state != "ready":
        return None
    done = setup.read_done(incident.setup_done) - {setup.Step.ANNOUNCED}
    return {"setup_state": "channel", "setup_done": setup.write_done(done)}
