"""Filling in the incident log's blank fields, by `/incident log set` or the log form.

Each changed field is a `log_field_set` timeline event (the latest per field wins in the
log), committed with the line that tells the channel, then shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from bot.blocks.lines import log_fields_line
from bot.blocks.log_form import LogFieldInput, log_edit_view, read_log_edit_form
from bot.clock import Clock
from bot.domain.errors import BadCommand, UnknownIncident
from bot.domain.log_fields import (
    DETECTION_METHODS,
    LOG_FIELD_SET,
    FillableField,
    digest,
    edited,
    fillable_fields,
    latest_values,
    parse_log_set,
)
from bot.domain.text import clip, unescape
from bot.replica import Replica
from bot.services import outbox
from bot.services.export import pack_for
from bot.services.unit import unit_of_work
from bot.slack_gateway import SlackGateway
from playbooks.logfields import LogField
from playbooks.model import Pack
from storage import repo
from storage.db import Database
from storage.models import Incident, OutboxPost

TEXT_LIMIT = 2800
NOTHING_TO_FILL = (
    "This incident log's template has no fields to fill in by hand: everything in it comes "
    "from the record. `/incident log` posts it."
)


@dataclass(frozen=True)
class LogFieldsRecorded:
    """What one submission changed, as (label, text), and the channel line it owes."""

    changes: list[tuple[str, str]]
    post: OutboxPost | None


def _fields(incident: Incident, pack: Pack) -> list[FillableField]:
    return fillable_fields(pack_for(incident.pack_id, pack).incident_log)


async def record_log_fields(
    incident: Incident,
    *,
    actor: str,
    values: Mapping[LogField, str],
    db: Database,
    pack: Pack,
    clock: Clock,
) -> LogFieldsRecorded:
    """Record each value that differs from the field's current one, with the line that
    tells the channel, in one unit of work. Fields the template lacks are ignored. Values
    are taken as typed (a slash command's are unescaped by the caller; a form's never are
    escaped)."""
    labels = {f.field: f.label for f in _fields(incident, pack)}
    now = clock()
    changes: list[tuple[str, str]] = []
    post = None
    async with unit_of_work(db) as session:
        current = latest_values(await repo.timeline(session=session, incident=incident.id))
        for key, raw in values.items():
            text = clip(raw.strip(), TEXT_LIMIT)
            if key not in labels or text == current.get(key, ""):
                continue
            label = labels[key]
            event = repo.new_event(
                incident=incident.id,
                at=now,
                actor=actor,
                kind=LOG_FIELD_SET,
                text=f"{label}: {text}" if text else f"{label} cleared",
            )
            # `text` is also new_event's own argument: the data is set whole.
            event.data = {"field": key.value, "text": text, "by": actor}
            repo.add_event(session=session, event=event)
            changes.append((label, text))
        if changes:
            post = outbox.owe(
                session, incident, log_fields_line(actor=actor, changes=changes), clock=clock
            )
    return LogFieldsRecorded(changes, post)


async def show_log_fields(
    recorded: LogFieldsRecorded, *, db: Database, slack: SlackGateway, replica: Replica
) -> None:
    """Post the line a recorded change owes the channel (kept in the outbox until posted)."""
    if recorded.post is not None:
        await outbox.deliver([recorded.post], db=db, slack=slack, replica=replica)


async def set_log_field(
    incident: Incident,
    *,
    actor: str,
    text: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
) -> LogFieldsRecorded:
    """`/incident log set <field>: <text>`: record the field, then tell the channel.

    An unknown field or an empty text is refused (BadCommand) before anything is saved."""
    found, value = parse_log_set(unescape(text), _fields(incident, pack))
    recorded = await record_log_fields(
        incident, actor=actor, values={found.field: value}, db=db, pack=pack, clock=clock
    )
    await show_log_fields(recorded, db=db, slack=slack, replica=replica)
    return recorded


async def log_edit_form(incident: Incident, *, db: Database, pack: Pack) -> dict[str, object]:
    """The log form for this incident, pre-filled with the current values; BadCommand when
    its template has nothing a person fills in."""
    fields = _fields(incident, pack)
    if not fields:
        raise BadCommand(NOTHING_TO_FILL)
    async with db.reader() as session:
        current = latest_values(await repo.timeline(session=session, incident=incident.id))
    inputs = [
        LogFieldInput(
            key=f.field.value,
            label=f.label,
            value=current.get(f.field, ""),
            hint=_hint(f.field),
        )
        for f in fields
    ]
    # The form remembers what it showed (as digests), so that only fields the person
    # changed are saved, never an old value over one set meanwhile.
    shown = {i.key: digest(i.value) for i in inputs}
    metadata = json.dumps({"incident": incident.id, "shown": shown})
    return log_edit_view(inputs, incident_id=incident.id, private_metadata=metadata)


def _hint(key: LogField) -> str:
    if key is LogField.DETECTION_METHOD:
        return (
            f"{', '.join(DETECTION_METHODS[:-1])} or {DETECTION_METHODS[-1]}. Left empty, "
            "the log says Manual (declared in Slack by whoever declared it)."
        )
    return ""


@dataclass(frozen=True)
class LogFormSubmission:
    """A submitted log form: its incident and the fields the person changed."""

    incident_id: str
    values: dict[LogField, str]


def read_log_form(state_values: dict[str, object], private_metadata: str) -> LogFormSubmission:
    """What a submitted log form asks to change; UnknownIncident if it names no incident."""
    try:
        metadata = json.loads(private_metadata or "{}")
    except ValueError:
        metadata = {}
    incident_id = metadata.get("incident") if isinstance(metadata, dict) else None
    if not isinstance(incident_id, str) or not incident_id:
        raise UnknownIncident("This form no longer names its incident. Open it again.")
    shown = metadata.get("shown") if isinstance(metadata.get("shown"), dict) else {}
    submitted: dict[LogField, str] = {}
    for key, text in read_log_edit_form(dict(state_values)).items():
        try:
            submitted[LogField(key)] = text
        except ValueError:
            continue
    return LogFormSubmission(incident_id, edited(shown, submitted))


async def edit_log_fields(
    submission: LogFormSubmission,
    *,
    actor: str,
    db: Database,
    pack: Pack,
    clock: Clock,
) -> tuple[Incident, LogFieldsRecorded]:
    """Record what a log form changed (show it afterwards with `show_log_fields`: the form
    is answered between the two, once the change is committed)."""
    async with db.reader() as session:
        incident = await repo.get_incident(session=session, incident=submission.incident_id)
    if incident is None:
        raise UnknownIncident(f"No incident {submission.incident_id}.")
    recorded = await record_log_fields(
        incident, actor=actor, values=submission.values, db=db, pack=pack, clock=clock
    )
    return incident, recorded
