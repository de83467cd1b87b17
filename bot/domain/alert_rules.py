"""A pack's alert rules, evaluated: which severity a measurement calls for. Pure.

A rule such as "payment success rate < 95 % for 10 minutes → P0" is met by an observation
of that metric whose value compares as the rule says and that has lasted at least the
rule's duration. When several rules are met, the most severe of their severities wins.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from playbooks.model import AlertRule, Pack

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class Observation:
    """A measurement: its metric, its value, and for how long it has been so."""

    metric: str
    value: float
    lasted: timedelta


def met(rule: AlertRule, observation: Observation) -> bool:
    """The observation meets the rule: same metric, value past the threshold, long enough."""
    return (
        observation.metric == rule.metric
        and COMPARE[rule.comparison](observation.value, rule.threshold)
        and observation.lasted >= rule.duration.as_timedelta()
    )


def rules_met(rules: Sequence[AlertRule], observations: Iterable[Observation]) -> list[AlertRule]:
    """Every rule that at least one observation meets, in pack order."""
    seen = list(observations)
    return [rule for rule in rules if any(met(rule, o) for o in seen)]


def severity_for(pack: Pack, observations: Iterable[Observation]) -> str | None:
    """The most severe severity that the observations call for; None when no rule is met."""
    met_rules = rules_met(pack.alert_rules, observations)
    if not met_rules:
        return None
    return min((rule.severity for rule in met_rules), key=pack.rank)


def describe(rule: AlertRule) -> str:
    """`Payment success rate < 95% for 10m`."""
    value = f"{rule.threshold:g}{rule.unit}"
    return f"{rule.name} {rule.comparison} {value} for {rule.duration}"
