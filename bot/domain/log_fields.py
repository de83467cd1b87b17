"""Incident-log fields a person fills in: which ones a template has, parsing
`/incident log set <field>: <text>`, the latest value of each, and what a form changed.

A value is recorded as a `log_field_set` timeline event (data: field, text, by); the latest
one per field wins, and an empty text clears the field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain.errors import BadCommand
from playbooks.logfields import FILLABLE, LogField, log_field_key

LOG_FIELD_SET = "log_field_set"
SET_USAGE = "/incident log set <field>: <text>"
DETECTION_METHODS = ("Automated", "Manual", "User Report")


class Recorded(Protocol):
    """A timeline event as the storage or the log sees it."""

    @property
    def kind(self) -> str: ...

    @property
    def data(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class FillableField:
    """A field of the pack's template that a person fills in, under the pack's own label."""

    field: LogField
    label: str


def fillable_fields(labels: Sequence[str]) -> list[FillableField]:
    """The template's fields a person fills in, in the template's order, each once."""
    found: dict[LogField, FillableField] = {}
    for label in labels:
        key = log_field_key(label)
        if key in FILLABLE and key not in found:
            found[key] = FillableField(key, label.strip().rstrip(":").strip())
    return list(found.values())


def _field_list(fields: Sequence[FillableField]) -> str:
    return ", ".join(f"`{f.label}`" for f in fields)


def _find(name: str, fields: Sequence[FillableField]) -> FillableField | None:
    key = log_field_key(name)
    return next((f for f in fields if f.field is key), None) if key else None


def parse_log_set(rest: str, fields: Sequence[FillableField]) -> tuple[FillableField, str]:
    """`Users impacted: 40 buyers` as (field, text): the field by any of its labels, any case.

    Without a colon the longest leading words that name a field are taken
    (`lessons learned retry budgets`). An unknown field or an empty text is a BadCommand
    that lists the fields this template lets a person fill in."""
    if not fields:
        raise BadCommand(
            "This incident log's template has no fields to fill in by hand: everything in it "
            "comes from the record. `/incident log` posts it."
        )
    text = rest.strip()
    name, colon, value = text.partition(":")
    found = _find(name, fields) if colon else None
    if found is None and not colon:
        words = text.split()
        for count in range(len(words), 0, -1):
            found = _find(" ".join(words[:count]), fields)
            if found is not None:
                name, value = " ".join(words[:count]), " ".join(words[count:])
                break
    if found is None:
        shown = (name if colon else text.split(maxsplit=1)[0] if text else "").strip()
        what = f"`{shown[:60]}` is not a field of this incident log. " if shown else ""
        raise BadCommand(
            f"{what}Fields you can fill in: {_field_list(fields)}. Usage: `{SET_USAGE}`."
        )
    value = value.strip()
    if not value:
        raise BadCommand(
            f"Give the text for {found.label}: `/incident log set {found.label}: <text>`."
        )
    return found, value


def latest_values(events: Iterable[Recorded]) -> dict[LogField, str]:
    """The latest value of each field set by a person, oldest event first; a cleared field
    (empty text) is left out."""
    values: dict[LogField, str] = {}
    for event in events:
        if event.kind != LOG_FIELD_SET:
            continue
        try:
            key = LogField(str(event.data.get("field")))
        except ValueError:
            continue  # a field this version no longer knows
        values[key] = str(event.data.get("text") or "")
    return {key: value for key, value in values.items() if value.strip()}


def digest(value: str) -> str:
    """A short fingerprint of a value as shown in a form, to tell later whether it changed."""
    return hashlib.sha256(value.strip().encode()).hexdigest()[:12]


def edited(shown: Mapping[str, str], submitted: Mapping[LogField, str]) -> dict[LogField, str]:
    """The fields whose submitted value differs from what the form showed (`shown`: field →
    `digest` of the value it was opened with). Only those are recorded, so a form left open
    does not undo what someone else set meanwhile."""
    return {
        key: value.strip()
        for key, value in submitted.items()
        if digest(value) != shown.get(key.value, digest(""))
    }
