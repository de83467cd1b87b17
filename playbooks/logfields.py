"""Map a pack's incident-log labels (the seed's own wording) to the fields the bot can fill.

Packs list `incident_log` fields by their human label, exactly as the source document
names them ("Detected By", "DETECTION METHOD" -> "Detection Method", "Reported By").
`log_field_key` tells the exporter which of those it knows how to fill; any other label
is printed as a blank template line. The `FILLABLE` ones are filled by a person
(`/incident log set <label>: <text>` or `/incident log edit`), matched by the same synonyms.
"""

from __future__ import annotations

import re
from enum import StrEnum


class LogField(StrEnum):
    """Incident-log fields the bot can fill from what it recorded."""

    INCIDENT_ID = "incident_id"
    TITLE = "title"
    START_TIME = "start_time"
    END_TIME = "end_time"
    DETECTED_BY = "detected_by"
    DETECTION_METHOD = "detection_method"
    DESCRIPTION = "description"
    RESOLVED_BY = "resolved_by"
    SEVERITY = "severity"
    ROLES = "roles"
    FEATURES_DISABLED = "features_disabled"
    RESOLUTION = "resolution"
    ROOT_CAUSE = "root_cause"
    PREVENTIVE_ACTIONS = "preventive_actions"
    DURATION = "duration"
    TIMELINE = "timeline"
    # Nothing the bot records says these: the commander fills them in (`/incident log set`).
    IMPACT = "impact"
    AFFECTED_SERVICES = "affected_services"
    INITIAL_RESPONSE = "initial_response"
    LESSONS_LEARNED = "lessons_learned"
    CONTRIBUTING_FACTORS = "contributing_factors"
    COMMUNICATION_RECAP = "communication_recap"


# Fields a person may fill in before export. Detection method is among them: the bot writes
# "Manual (declared in Slack by …)" until someone says it was Automated or a User Report.
FILLABLE: frozenset[LogField] = frozenset(
    {
        LogField.DETECTION_METHOD,
        LogField.IMPACT,
        LogField.AFFECTED_SERVICES,
        LogField.INITIAL_RESPONSE,
        LogField.LESSONS_LEARNED,
        LogField.CONTRIBUTING_FACTORS,
        LogField.COMMUNICATION_RECAP,
        LogField.DESCRIPTION,  # the declare form's, or written later (an inline declaration)
    }
)


_SYNONYMS: dict[LogField, tuple[str, ...]] = {
    LogField.INCIDENT_ID: ("incident id", "incident number", "incident #", "incident", "id"),
    LogField.TITLE: ("title",),
    LogField.START_TIME: ("start time", "started", "start", "date"),
    LogField.END_TIME: ("end time", "ended", "end"),
    LogField.DETECTED_BY: ("detected by", "reported by"),
    LogField.DETECTION_METHOD: ("detection method", "detection"),
    LogField.DESCRIPTION: ("description", "summary of the incident", "what happened"),
    LogField.RESOLVED_BY: ("resolved by",),
    LogField.SEVERITY: ("severity", "priority", "severity history", "priority history"),
    LogField.ROLES: ("roles", "assigned roles", "responders"),
    LogField.FEATURES_DISABLED: ("features disabled", "disabled features", "flags disabled"),
    LogField.RESOLUTION: ("resolution",),
    LogField.ROOT_CAUSE: ("root cause", "root causes"),
    LogField.PREVENTIVE_ACTIONS: (
        "preventive action",
        "preventive actions",
        "preventative actions",
        "prevention",
        "action items",
        "follow-up actions",
        "follow-ups",
    ),
    LogField.DURATION: ("duration", "resolution time", "total downtime"),
    LogField.TIMELINE: ("timeline",),
    LogField.IMPACT: (
        "impact",
        "customer impact",
        "user impact",
        "users impacted",
        "users affected",
        "impacted users",
    ),
    LogField.AFFECTED_SERVICES: ("affected services", "services affected", "affected systems"),
    LogField.INITIAL_RESPONSE: ("initial response", "first response"),
    LogField.LESSONS_LEARNED: ("lessons learned", "lessons", "learnings"),
    LogField.CONTRIBUTING_FACTORS: ("contributing factors", "contributing factor"),
    LogField.COMMUNICATION_RECAP: ("communication recap", "communications recap", "comms recap"),
}


def _label_key(label: str) -> str:
    return re.sub(r"[^a-z0-9#]+", " ", label.casefold()).strip()


_BY_LABEL = {_label_key(s): field for field, names in _SYNONYMS.items() for s in names}


def log_field_key(label: str) -> LogField | None:
    """The known field a pack's incident-log label stands for, or None (print it blank)."""
    return _BY_LABEL.get(_label_key(label))
