"""Paging out, the pure part: pager targets, severity mapping, retry backoff.

A pack's escalation level names targets as `service:name` (`pagerduty:primary-oncall`); the
deployment's settings map names to keys. Which targets a level can page, how the incident's
severity maps to PagerDuty's severity and Opsgenie's priority, and when a failed page is
tried again are decided here, from plain values.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from playbooks.model import EscalationLevel, Pack

SERVICES = ("pagerduty", "opsgenie")
PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")
OPSGENIE_PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
FIRST_RETRY = timedelta(seconds=10)
MAX_RETRY = timedelta(minutes=5)
MAX_ATTEMPTS = 40  # about three hours of tries, five minutes apart at the end
RESOLVE_LEVEL = 0  # resolves are owed once per target, whatever level paged it


@dataclass(frozen=True)
class Target:
    """A pager target: the service and the name the settings map to a key."""

    service: str
    name: str

    @property
    def key(self) -> str:
        """As the pack spells it: `pagerduty:primary-oncall`."""
        return f"{self.service}:{self.name}"


def parse_target(text: str) -> Target:
    """`pagerduty:primary-oncall` as a Target (the pack loader checked its shape)."""
    service, _, name = text.partition(":")
    return Target(service, name)


def level_targets(
    level: EscalationLevel, *, pagerduty: Collection[str], opsgenie: Collection[str]
) -> list[Target]:
    """The level's targets that the settings give a key, in pack order, each once."""
    known = {"pagerduty": pagerduty, "opsgenie": opsgenie}
    targets = [parse_target(text) for text in dict.fromkeys(level.page)]
    return [t for t in targets if t.name in known.get(t.service, ())]


def unknown_targets(
    pack: Pack, *, pagerduty: Collection[str], opsgenie: Collection[str]
) -> list[str]:
    """The pack's targets that the settings do not map to a key (skipped when paging)."""
    known = {"pagerduty": pagerduty, "opsgenie": opsgenie}
    named = dict.fromkeys(text for level in pack.escalation for text in level.page)
    return [t for t in named if parse_target(t).name not in known.get(parse_target(t).service, ())]


def pagerduty_severity(rank: int) -> str:
    """PagerDuty's severity for a place on the pack's scale (0, the most severe: critical)."""
    return PAGERDUTY_SEVERITIES[min(max(rank, 0), len(PAGERDUTY_SEVERITIES) - 1)]


def opsgenie_priority(rank: int) -> str:
    """Opsgenie's priority for a place on the pack's scale (0, the most severe: P1)."""
    return OPSGENIE_PRIORITIES[min(max(rank, 0), len(OPSGENIE_PRIORITIES) - 1)]


def retry_delay(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed try a page is tried again: 10 s, doubling,
    at most 5 minutes."""
    delay: timedelta = FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16)
    return min(delay, MAX_RETRY)


def page_summary(*, incident: str, title: str, severity: str, level: int, level_name: str) -> str:
    """The one line a pager shows: `INC-…: Checkout is down · SEV-1 · level 1, On-call`."""
    where = f"level {level}, {level_name}" if level_name else f"level {level}"
    return f"{incident}: {title} · {severity} · {where}"
