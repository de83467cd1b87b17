"""Escalation by criteria: which level an incident reaches, when, and why. Pure.

Each pack level lists the criteria that reach it (`playbooks.model.Criterion`): at once at
some severities, still open some time after declaration, a missed target, or a condition
someone confirms in Slack. The timed ones become one-shot timers keyed by level and
criterion (`level-2.1`), armed per severity like the targets; a missed target names the
level whose criterion claims it. Packs without levels keep one notice per missed target.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.timers import THRESHOLD_LABELS, THRESHOLDS, human
from playbooks.model import Criterion, EscalationLevel, Pack, Severity
from playbooks.wording import lookup_key

_KEY = re.compile(r"^level-(\d+)\.(\d+)$")


@dataclass(frozen=True)
class Reached:
    """A level reached by one of its criteria."""

    level: EscalationLevel
    index: int
    criterion: Criterion


def criterion_key(level: int, index: int) -> str:
    """The timer name of a level's criterion, e.g. `level-2.1`."""
    return f"level-{level}.{index}"


def parse_key(name: str) -> tuple[int, int] | None:
    """(level, criterion index) of a criterion timer's name; None for a target's name."""
    match = _KEY.fullmatch(name)
    return (int(match[1]), int(match[2])) if match else None


def criteria(pack: Pack) -> Iterator[Reached]:
    """Every criterion of every level, lowest level first."""
    for level in sorted(pack.escalation, key=lambda lvl: lvl.level):
        for index, criterion in enumerate(level.criteria):
            yield Reached(level, index, criterion)


def applies(criterion: Criterion, severity: str) -> bool:
    """True when the criterion holds at this severity (id)."""
    return not criterion.severities or severity in criterion.severities


def find(pack: Pack, level: int, index: int) -> Reached | None:
    """The criterion a timer was armed for, if the pack still has it."""
    for reached in criteria(pack):
        if reached.level.level == level and reached.index == index:
            return reached
    return None


def timed(pack: Pack, severity: str) -> tuple[tuple[str, timedelta], ...]:
    """The criteria a clock decides at this severity, as (timer name, time after
    declaration): "at once" ones at zero, `after` ones at their duration."""
    clocks = []
    for reached in criteria(pack):
        criterion = reached.criterion
        if not applies(criterion, severity) or criterion.missed or criterion.condition:
            continue
        if criterion.after is None:
            after = timedelta(0)
        elif criterion.after.is_business:
            continue  # the pack check refuses these; a clock measures elapsed time
        else:
            after = criterion.after.as_timedelta()
        clocks.append((criterion_key(reached.level.level, reached.index), after))
    return tuple(clocks)


def claiming(pack: Pack, target: str, severity: str) -> Reached | None:
    """The lowest level whose criterion says a missed `target` at `severity` reaches it."""
    for reached in criteria(pack):
        if reached.criterion.missed == target and applies(reached.criterion, severity):
            return reached
    return None


def conditions(pack: Pack) -> list[Reached]:
    """The criteria someone confirms by name, lowest level first."""
    return [reached for reached in criteria(pack) if reached.criterion.condition]


def brief_lines(pack: Pack) -> list[str]:
    """For the commander's brief: `Data integrity is in doubt → level 3, Pilot Coordinator`."""
    return [
        f"{reached.criterion.condition} → level {reached.level.level}, {reached.level.name}"
        for reached in conditions(pack)
    ]


def match_condition(pack: Pack, text: str) -> Reached | None:
    """The condition or level that `/incident escalate <text>` names: a level's number or
    name, a condition's number in the list, or words of its text."""
    wanted = lookup_key(text)
    named = conditions(pack)
    if wanted.isdigit() and 1 <= int(wanted) <= len(named):
        return named[int(wanted) - 1]
    for reached in named:
        if lookup_key(reached.criterion.condition or "") == wanted:
            return reached
    partial = [r for r in named if wanted and wanted in lookup_key(r.criterion.condition or "")]
    return partial[0] if len(partial) == 1 else None


def describe(criterion: Criterion, names: Mapping[str, str], targets: Mapping[str, str]) -> str:
    """Why a level was reached, in words: `still open 15 min after declaration`.

    `names` maps severity ids to display names; `targets` maps a target (respond_within…)
    to its length in words at the incident's severity (`15 min`, `1 business day`)."""
    if criterion.condition:
        return f"confirmed: {criterion.condition}"
    if criterion.missed:
        return missed_reason(criterion.missed, targets)
    if criterion.after is not None and not criterion.after.is_business:
        return f"still open {human(criterion.after.as_timedelta())} after declaration"
    at = " or ".join(names.get(s, s) for s in criterion.severities)
    return f"{at} incidents reach this level at once"


def missed_reason(target: str, targets: Mapping[str, str]) -> str:
    """`no response within 15 min`: a missed target, in words."""
    label = THRESHOLD_LABELS.get(target, target)
    return f"{label} {targets.get(target, 'its target')}"


def target_words(severity: Severity | None) -> dict[str, str]:
    """A severity's targets in words: `15 min`, or `1 business day` as the pack says it."""
    words = {}
    for name in THRESHOLDS:
        duration = getattr(severity, name, None)
        if duration is not None:
            words[name] = str(duration) if duration.is_business else human(duration.as_timedelta())
    return words


def contacts_for(
    level: EscalationLevel | None,
    *,
    configured: Mapping[int, Sequence[str]],
    holders: Mapping[str, Sequence[str]],
) -> tuple[str, ...]:
    """Who a notice for this level pages: `ESCALATION_CONTACTS` for it when set, else
    whoever holds the level's role in this incident."""
    if level is None:
        return ()
    if configured.get(level.level):
        return tuple(configured[level.level])
    return tuple(holders.get(level.role, ())) if level.role else ()
