"""Alerts from monitoring, as the bot sees them whatever sent them. Pure.

The three intake formats (Alertmanager, Grafana, the generic one) are parsed into
`IncomingAlert`s by `bot.domain.alert_formats`; from there on one set of rules applies:
which severity an alert calls for, which group it joins, and what its group does
(declare at once, or ask "Declare incident?").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.domain.alert_rules import Observation, severity_for
from bot.domain.errors import DomainError
from playbooks.model import Pack

AlertStatus = Literal["firing", "resolved"]
# Labels that name a severity directly, in the order they are looked at.
SEVERITY_LABELS = ("severity", "priority")


class BadAlert(DomainError):
    """The request body is not a valid alert in its format; the message says why."""


@dataclass(frozen=True)
class IncomingAlert:
    """One alert, in any format: what fires, how to recognise it again, and what it says."""

    fingerprint: str  # the dedup key: the same alert firing again has the same one
    status: AlertStatus
    title: str
    group_key: str = ""  # the sender's own grouping (Alertmanager's groupKey), if any
    labels: Mapping[str, str] = field(default_factory=dict)
    observations: tuple[Observation, ...] = ()  # metric values, for the pack's alert rules
    link: str | None = None
    starts_at: datetime | None = None


def severity_of(alert: IncomingAlert, pack: Pack) -> str | None:
    """The severity id the alert calls for: a label naming one of the pack's severities
    (`severity: P0`, `priority: critical`), else the pack's alert rules met by its metric
    values, else None."""
    for name in SEVERITY_LABELS:
        named = pack.severity(alert.labels.get(name, ""))
        if named is not None:
            return named.id
    return severity_for(pack, alert.observations)


def group_of(alert: IncomingAlert, by_labels: tuple[str, ...]) -> str:
    """The group an alert joins: the sender's group key, else the values of the pack's
    grouping labels (e.g. `service=payments`), else its own fingerprint."""
    if alert.group_key:
        return alert.group_key
    values = [f"{name}={alert.labels[name]}" for name in by_labels if alert.labels.get(name)]
    return ",".join(values) if values else f"fingerprint={alert.fingerprint}"
