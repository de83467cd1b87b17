"""The exported incident log: the pack's own template, filled from what the bot recorded.

A pack lists its `incident_log` labels in the seed document's wording. Labels that
`playbooks.logfields.log_field_key` knows are filled in; the rest print as `_(fill in)_`
so the template stays complete. The full timeline always follows (or sits where the pack
put a "Timeline" label). The output is plain Markdown that also reads well in Slack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from playbooks.logfields import LogField, log_field_key

NOT_RECORDED = "_(not recorded)_"
FILL_IN = "_(fill in)_"
TIMELINE_HEADING = "## Timeline (UTC)"


@dataclass(frozen=True)
class LogEvent:
    """One timeline entry, as recorded by the bot."""

    at: datetime
    actor: str | None
    kind: str
    text: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LogInput:
    """Everything the log needs about one incident; `now` stands in for the end while open."""

    incident_id: str
    title: str
    status: str
    declared_at: datetime
    declared_by: str
    resolved_at: datetime | None
    commander: str
    roles: Sequence[tuple[str, Sequence[str]]]
    severity_names: Mapping[str, str]
    current_severity: str
    events: Sequence[LogEvent]
    features_disabled: Sequence[str]
    resolution: str | None
    root_cause: str | None
    preventive_actions: Sequence[str]
    pack_title: str
    now: datetime
    commander_role: str = "Commander"
    description: str = ""


# --- parsing `/incident resolve` text --------------------------------------------------------

_RESOLUTION, _ROOT_CAUSE, _PREVENT = "resolution", "root_cause", "prevent"
_LABELS = {
    _RESOLUTION: r"resolution|fix",
    _ROOT_CAUSE: r"root[ -]?causes?|rc",
    _PREVENT: r"prevent|prevention|prevent(?:at)?ive[ -]actions?|action[ -]items?",
}
_LABEL = re.compile(
    r"^(?:" + "|".join(f"(?P<{key}>{rx})" for key, rx in _LABELS.items()) + r")\s*:\s*",
    re.IGNORECASE,
)
# " | " needs spaces around it so the `|` inside Slack links (`<https://x|label>`) survives.
_PART_SEPARATOR = re.compile(r"[ \t]+\|[ \t]+|[ \t]*\r?\n[ \t]*")
_BULLET = re.compile(r"^(?:[-*•]|\d+[.)])\s+")


def parse_resolution(text: str) -> tuple[str, str | None, list[str]]:
    """Split `/incident resolve` text into (resolution, root cause, preventive actions)."""
    resolution: list[str] = []
    root_cause: list[str] = []
    actions: list[str] = []
    current: str | None = None  # the label a following bullet line continues
    for raw in _PART_SEPARATOR.split(text.strip()):
        part = raw.strip().strip("|").strip()
        if not part:
            continue
        match = _LABEL.match(part)
        if match:
            current = match.lastgroup
            part = part[match.end() :].strip()
        elif _BULLET.match(part) and current is not None:
            part = _BULLET.sub("", part)
        else:
            current = None
        if current == _PREVENT:
            actions += [a.strip() for a in part.split(",") if a.strip()]
        elif current == _ROOT_CAUSE:
            root_cause += [part] if part else []
        elif part:
            resolution.append(part)
    return " ".join(resolution), " ".join(root_cause) or None, actions


# --- small formatters -------------------------------------------------------------------------


def _utc(when: datetime) -> datetime:
    # Naive datetimes are taken to be UTC already; never guess the host's local zone.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def format_duration(start: datetime, end: datetime) -> str:
    """`1h 05m`, `2d 3h 10m`, `12m 30s`, `45s` style; never negative."""
    seconds = max(0, int((_utc(end) - _utc(start)).total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _timestamp(when: datetime) -> str:
    return _utc(when).strftime("%Y-%m-%d %H:%M UTC")


def _mention(user: str) -> str:
    return f"<@{user}>" if user else "—"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _kind_words(kind: str) -> str:
    return kind.replace("_", " ").strip().capitalize() or "Event"


def _spans_days(data: LogInput) -> bool:
    moments = [data.declared_at, *(e.at for e in data.events)]
    if data.resolved_at is not None:
        moments.append(data.resolved_at)
    return len({_utc(m).date() for m in moments}) > 1


# --- severity history and timeline ------------------------------------------------------------


def severity_history(data: LogInput) -> list[tuple[datetime, str]]:
    """(when, severity name) for the declared severity and every change, oldest first."""
    changes = [e for e in data.events if e.kind == "severity_changed" and e.data.get("new")]
    declared = next((e for e in data.events if e.kind == "declared"), None)
    first = declared.data.get("severity") if declared else None
    if not first:
        first = changes[0].data.get("old") if changes else None
    first = first or data.current_severity

    def name(severity_id: Any) -> str:
        return data.severity_names.get(str(severity_id), str(severity_id))

    history = [(_utc(data.declared_at), name(first))]
    history += [(_utc(e.at), name(e.data["new"])) for e in changes]
    return history


def _severity_value(data: LogInput) -> str:
    pattern = "%Y-%m-%d %H:%M UTC" if _spans_days(data) else "%H:%M UTC"
    return " → ".join(f"{name} ({at.strftime(pattern)})" for at, name in severity_history(data))


def _timeline(data: LogInput) -> str:
    if not data.events:
        return f"{TIMELINE_HEADING}\n\n_(no events recorded)_"
    pattern = "%Y-%m-%d %H:%M:%S" if _spans_days(data) else "%H:%M:%S"
    lines = [TIMELINE_HEADING, ""]
    for event in data.events:
        actor = _mention(event.actor) if event.actor else "bot"
        head = f"- {_utc(event.at).strftime(pattern)} · {actor} · {_kind_words(event.kind)}"
        text_lines = [line.strip() for line in event.text.strip().splitlines() if line.strip()]
        if not text_lines:
            lines.append(head)
            continue
        lines.append(f"{head}: {text_lines[0]}")
        # Indented continuation lines stay inside the same list item.
        lines += [f"  {line}" for line in text_lines[1:]]
    return "\n".join(lines)


# --- field values -----------------------------------------------------------------------------


def _roles_value(data: LogInput) -> str:
    parts = [f"{data.commander_role}: {_mention(data.commander)}"] if data.commander else []
    for role, users in data.roles:
        people = ", ".join(_mention(u) for u in users if u) or "—"
        parts.append(f"{role}: {people}")
    return "; ".join(parts) or "—"


def _features_value(data: LogInput) -> str:
    flags = [flag.replace("`", "").strip() for flag in data.features_disabled]
    return ", ".join(f"`{flag}`" for flag in flags if flag) or "none recorded"


def _text_or_blank(text: str | None) -> str:
    return text.strip() if text and text.strip() else NOT_RECORDED


def _actions_value(data: LogInput) -> str:
    actions = [_one_line(a) for a in data.preventive_actions if a.strip()]
    return "\n".join(f"- {a}" for a in actions) or NOT_RECORDED


def _duration_value(data: LogInput) -> str:
    if data.resolved_at is None:
        return f"{format_duration(data.declared_at, data.now)} (ongoing)"
    return format_duration(data.declared_at, data.resolved_at)


_VALUES: dict[LogField, Callable[[LogInput], str]] = {
    LogField.INCIDENT_ID: lambda d: _one_line(d.incident_id),
    LogField.TITLE: lambda d: _one_line(d.title),
    LogField.START_TIME: lambda d: _timestamp(d.declared_at),
    LogField.END_TIME: lambda d: _timestamp(d.resolved_at) if d.resolved_at else "— (still open)",
    LogField.DETECTED_BY: lambda d: _mention(d.declared_by),
    # Every incident is declared by a person today; alert intake (a later change) will say
    # "Automated" for the incidents it declares.
    LogField.DETECTION_METHOD: lambda d: f"Manual (declared in Slack by {_mention(d.declared_by)})",
    LogField.DESCRIPTION: lambda d: _text_or_blank(d.description or None),
    LogField.RESOLVED_BY: lambda d: _resolved_by(d),
    LogField.SEVERITY: _severity_value,
    LogField.ROLES: _roles_value,
    LogField.FEATURES_DISABLED: _features_value,
    LogField.RESOLUTION: lambda d: _text_or_blank(d.resolution),
    LogField.ROOT_CAUSE: lambda d: _text_or_blank(d.root_cause),
    LogField.PREVENTIVE_ACTIONS: _actions_value,
    LogField.DURATION: _duration_value,
    LogField.TIMELINE: _timeline,
}


def _field_block(label: str, data: LogInput) -> str:
    key = log_field_key(label)
    if key is LogField.TIMELINE:
        return _timeline(data)
    name = label.strip().rstrip(":").strip()
    value = _VALUES[key](data) if key is not None else FILL_IN
    separator = "\n" if "\n" in value else " "
    return f"**{name}:**{separator}{value}"


def _resolved_by(data: LogInput) -> str:
    """Who resolved the incident last (a reopened one is blank until resolved again)."""
    if data.resolved_at is None:
        return "—"
    actors = [e.actor for e in data.events if e.kind == "resolved" and e.actor]
    return _mention(actors[-1]) if actors else "—"


def render_incident_log(fields: Sequence[str], data: LogInput) -> str:
    """The Markdown incident log: one line or section per pack field, then the full timeline."""
    blocks = [
        f"# Incident log: {_one_line(data.incident_id)} — {_one_line(data.title)}",
        f"_{_one_line(data.pack_title)} template · generated {_timestamp(data.now)}_",
    ]
    blocks += [_field_block(label, data) for label in fields]
    if not any(log_field_key(label) is LogField.TIMELINE for label in fields):
        blocks.append(_timeline(data))
    # Nothing in the log may page a channel: `<!channel>`, `<!here>`, `<!everyone>`.
    return "\n\n".join(blocks).replace("<!", "&lt;!") + "\n"
