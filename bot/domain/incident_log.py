"""The exported incident log: the pack's own template, filled from what the bot recorded.

A pack lists its `incident_log` labels in the seed document's wording. Labels that
`playbooks.logfields.log_field_key` knows are filled in; the rest print as `_(fill in)_`
so the template stays complete, unless a person filled them in (`log_field_set` events,
see `bot.domain.log_fields`; the latest value wins). The full timeline always follows (or
sits where the pack put a "Timeline" label).

One structure renders in two styles: Markdown for the export (`# Heading`, `**Label:**`)
and Slack mrkdwn for the log posted in the channel (`*Heading*`, `*Label:*`). Both show
people by name (from `LogInput.names`, else their bare user ID), never as `<@U…>`
mentions: the export is read outside Slack, and the posted log must not ping anyone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.firings import RESPONSES
from bot.domain.log_fields import latest_values
from bot.domain.text import plain, safe_mrkdwn, unescape
from playbooks.logfields import FILLABLE, LogField, log_field_key

NOT_RECORDED = "_(not recorded)_"
# An incident is "Automated" when an alert declared it, or a proposal from alerts did,
# recorded with (or moments after) its declaration.
DETECTED_BY_ALERT = ("alert_fired", "declared_from_alerts")
ALERT_AT_DECLARATION = timedelta(seconds=5)
FILL_IN = "_(fill in)_"
TIMELINE = "Timeline (UTC)"
FILL_IN_HINT = (
    "_Fill in the blanks with `/incident log edit`, or `/incident log set <field>: <text>`._"
)


class LogStyle(StrEnum):
    """How the log is written: Markdown for the export, Slack mrkdwn for the channel."""

    MARKDOWN = "markdown"
    MRKDWN = "mrkdwn"


@dataclass(frozen=True)
class _Style:
    heading: Callable[[str], str]
    subheading: Callable[[str], str]
    label: Callable[[str], str]
    bullet: str


_STYLES = {
    LogStyle.MARKDOWN: _Style(
        heading=lambda t: f"# {t}",
        subheading=lambda t: f"## {t}",
        label=lambda t: f"**{t}:**",
        bullet="-",
    ),
    # Slack has no headings and bolds with single asterisks.
    LogStyle.MRKDWN: _Style(
        heading=lambda t: f"*{t}*",
        subheading=lambda t: f"*{t}*",
        label=lambda t: f"*{t}:*",
        bullet="•",
    ),
}


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
    # User ID → name to show. Without one (e.g. the CLI export, which has no Slack to ask)
    # a person shows as their bare user ID.
    names: Mapping[str, str] = field(default_factory=dict)
    # Customer-update audience ID → its name (Buyers, Sellers…): each update says whom it was for.
    audiences: Mapping[str, str] = field(default_factory=dict)
    # Follow-ups still open, (text, owner, due date), in order: shown with the preventive
    # actions ("Action Items", "Follow-up actions") as work that remains.
    follow_ups: Sequence[tuple[str, str, date | None]] = ()
    private: bool = False  # a private incident: its export says so at the top


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


def compose_resolution(
    resolution: str, root_cause: str = "", prevention: Sequence[str] = ()
) -> str:
    """The one resolve text that `parse_resolution` splits back into these parts (each part
    on one line; a comma inside a preventive action splits it in two)."""
    parts = [_one_part(resolution)] if resolution.strip() else []
    if root_cause.strip():
        parts.append(f"root cause: {_one_part(root_cause)}")
    actions = [_one_part(a) for a in prevention if a.strip()]
    if actions:
        parts.append(f"prevent: {', '.join(actions)}")
    return "\n".join(parts)


def _one_part(text: str) -> str:
    # Line breaks and " | " separate parts when parsed back: keep one part one line.
    return " ".join(_PART_SEPARATOR.sub(" / ", text.strip()).split())


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


def _event_words(event: LogEvent, data: LogInput) -> str:
    """`Customer update (Buyers)` for an update to one audience; else the kind in words."""
    audience = event.data.get("audience") if event.kind == "customer_update_posted" else None
    if isinstance(audience, str) and audience != "customer":
        return f"Customer update ({data.audiences.get(audience, audience)})"
    return _kind_words(event.kind)


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


def _timeline(data: LogInput, style: _Style) -> str:
    if not data.events:
        return f"{style.subheading(TIMELINE)}\n\n_(no events recorded)_"
    pattern = "%Y-%m-%d %H:%M:%S" if _spans_days(data) else "%H:%M:%S"
    lines = [style.subheading(TIMELINE), ""]
    for event in data.events:
        actor = _mention(event.actor) if event.actor else "bot"
        when = _utc(event.at).strftime(pattern)
        head = f"{style.bullet} {when} · {actor} · {_event_words(event, data)}"
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


def _actions_value(data: LogInput, style: _Style) -> str:
    actions = [_one_line(a) for a in data.preventive_actions if a.strip()]
    actions += [_follow_up_words(f) for f in data.follow_ups]
    return "\n".join(f"{style.bullet} {a}" for a in actions) or NOT_RECORDED


def _follow_up_words(follow_up: tuple[str, str, date | None]) -> str:
    """`Add an alert (follow-up, open · owner <@U…> · due 2026-03-06)`."""
    text, owner, due = follow_up
    when = f" · due {due.isoformat()}" if due else ""
    return f"{_one_line(text)} (follow-up, open · owner {_mention(owner)}{when})"


def _duration_value(data: LogInput) -> str:
    if data.resolved_at is None:
        return f"{format_duration(data.declared_at, data.now)} (ongoing)"
    return format_duration(data.declared_at, data.resolved_at)


def _detection_method(data: LogInput, filled: Mapping[LogField, str]) -> str:
    # Declared from monitoring: its first alert says so. Otherwise a person declared it;
    # the commander says when it was really a user's report.
    told = filled.get(LogField.DETECTION_METHOD)
    if told:
        return told
    first = next((e for e in data.events if e.kind in DETECTED_BY_ALERT), None)
    if first is not None and first.at - data.declared_at <= ALERT_AT_DECLARATION:
        source = first.data.get("source") or "monitoring"
        return f"Automated (alert from {_one_line(str(source))}: {_one_line(first.text)})"
    return f"Manual (declared in Slack by {_mention(data.declared_by)})"


_VALUES: dict[LogField, Callable[[LogInput, _Style], str]] = {
    LogField.INCIDENT_ID: lambda d, s: _one_line(d.incident_id),
    LogField.TITLE: lambda d, s: _one_line(d.title),
    LogField.START_TIME: lambda d, s: _timestamp(d.declared_at),
    LogField.END_TIME: lambda d, s: (
        _timestamp(d.resolved_at) if d.resolved_at else "— (still open)"
    ),
    LogField.DETECTED_BY: lambda d, s: _mention(d.declared_by),
    LogField.DESCRIPTION: lambda d, s: _text_or_blank(d.description or None),
    LogField.RESOLVED_BY: lambda d, s: _resolved_by(d),
    LogField.SEVERITY: lambda d, s: _severity_value(d),
    LogField.ROLES: lambda d, s: _roles_value(d),
    LogField.FEATURES_DISABLED: lambda d, s: _features_value(d),
    LogField.RESOLUTION: lambda d, s: _text_or_blank(d.resolution),
    LogField.ROOT_CAUSE: lambda d, s: _text_or_blank(d.root_cause),
    LogField.PREVENTIVE_ACTIONS: _actions_value,
    LogField.DURATION: lambda d, s: _duration_value(d),
    LogField.TIMELINE: _timeline,
}


def _field_value(
    key: LogField | None, data: LogInput, style: _Style, filled: Mapping[LogField, str]
) -> str:
    if key is None:
        return FILL_IN  # a label the bot does not know: the template line stays
    if key is LogField.DETECTION_METHOD:
        return _detection_method(data, filled)
    if key in filled:
        return filled[key].strip()
    if key is LogField.INITIAL_RESPONSE:
        return _initial_response(data)
    if key in _VALUES:  # from the record, until a person writes it
        return _VALUES[key](data, style)
    return FILL_IN


def _initial_response(data: LogInput) -> str:
    """The first thing a person did on the incident after declaring it, as recorded
    (`14:05 UTC · Alice · Step completed: Activate the circuit breakers`); a person may
    write a better summary with `/incident log set initial response: …`."""
    first = next((e for e in data.events if e.kind in RESPONSES and e.actor), None)
    if first is None:
        return FILL_IN
    text = first.text.strip().splitlines()[0] if first.text.strip() else ""
    words = f"{_kind_words(first.kind)}: {text}" if text else _kind_words(first.kind)
    return f"{_utc(first.at):%H:%M} UTC · {_mention(first.actor or '')} · {_one_line(words)}"


def _field_block(label: str, value: str, style: _Style) -> str:
    name = label.strip().rstrip(":").strip()
    separator = "\n" if "\n" in value else " "
    return f"{style.label(name)}{separator}{value}"


def _resolved_by(data: LogInput) -> str:
    """Who resolved the incident last (a reopened one is blank until resolved again)."""
    if data.resolved_at is None:
        return "—"
    actors = [e.actor for e in data.events if e.kind == "resolved" and e.actor]
    return _mention(actors[-1]) if actors else "—"


def render_incident_log(
    fields: Sequence[str], data: LogInput, style: LogStyle = LogStyle.MARKDOWN
) -> str:
    """The incident log: one line or section per pack field, then the full timeline.

    `style` MARKDOWN is the export; MRKDWN is the same log as a Slack message, made safe:
    no mention in it pings anyone and nothing pages a channel."""
    look = _STYLES[style]
    filled = latest_values(data.events)
    blocks = [
        look.heading(f"Incident log: {_one_line(data.incident_id)} — {_one_line(data.title)}"),
        f"_{_one_line(data.pack_title)} template · generated {_timestamp(data.now)}_",
    ]
    blank = False
    for label in fields:
        key = log_field_key(label)
        if key is LogField.TIMELINE:
            blocks.append(_timeline(data, look))
            continue
        value = _field_value(key, data, look, filled)
        blank = blank or (key in FILLABLE and value == FILL_IN)
        blocks.append(_field_block(label, value, look))
    if not any(log_field_key(label) is LogField.TIMELINE for label in fields):
        blocks.append(_timeline(data, look))
    if style is LogStyle.MRKDWN and blank:
        blocks.insert(2, FILL_IN_HINT)  # under the title, where the reader starts
    text = _named("\n\n".join(blocks), data.names)
    if style is LogStyle.MRKDWN:
        return safe_mrkdwn(text) + "\n"
    return markdown_text(text) + "\n"


# --- people and Slack markup ----------------------------------------------------------------

_USER = re.compile(r"<@([UW][A-Z0-9_]+)(?:\|([^<>]*))?>")
_SLACK_TOKEN = re.compile(r"<([^<>\s][^<>]*)>")


def _named(text: str, names: Mapping[str, str]) -> str:
    """Every user mention as the person's name, else the label Slack gave it, else the ID."""

    def name(match: re.Match[str]) -> str:
        shown = names.get(match.group(1)) or (match.group(2) or "").lstrip("@")
        # A name is shown as plain text: brackets in it must not form markup.
        return plain(shown).strip() or match.group(1)

    return _USER.sub(name, text)


def _markdown_token(match: re.Match[str]) -> str:
    body = match.group(1)
    target, _, label = body.partition("|")
    if target.startswith(("http://", "https://", "mailto:")):
        if label and label != target:
            return f"[{label}]({target})"
        return f"<{target}>"
    if target.startswith("#C"):
        return f"#{label or target[1:]}"
    if target.startswith("!subteam^"):
        return label if label.startswith("@") else f"@{label or target.split('^', 1)[1]}"
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!"):
        return f"@{label.lstrip('@') or target[1:]}"  # <!here>, <!channel>, <!everyone>
    return match.group(0)


def people_in(data: LogInput) -> set[str]:
    """The user IDs the log names: to look up their names before rendering."""
    ids = {data.declared_by, data.commander, *(u for _, users in data.roles for u in users)}
    ids |= {owner for _, owner, _ in data.follow_ups}
    ids |= {e.actor for e in data.events if e.actor}
    texts = [data.title, data.description, data.resolution or "", data.root_cause or ""]
    texts += [*data.preventive_actions, *(e.text for e in data.events)]
    texts += [text for text, _, _ in data.follow_ups]
    ids |= {m.group(1) for text in texts for m in _USER.finditer(text)}
    return {i for i in ids if i}


def markdown_text(text: str) -> str:
    """Slack markup as Markdown: links `[label](url)`, `#channel`, `@here` and group
    handles as plain text, and Slack's `&lt;` `&gt;` `&amp;` as the characters."""
    return unescape(_SLACK_TOKEN.sub(_markdown_token, text))
