"""Cross-reference checks for a pack whose fields are individually valid.

The loader runs them on every pack it validates. Each check returns located `Problem`s so the
loader can print one precise line per problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from playbooks.durations import Duration
from playbooks.model import Criterion, Pack, Role, Severity
from playbooks.problems import Loc, Problem
from playbooks.wording import find_avoided_phrases, lookup_key


def pack_problems(pack: Pack) -> list[Problem]:
    """Every cross-reference problem in `pack`, in key-path order within each check."""
    return [
        *_unique_ids(pack),
        *_lookup_ambiguity(pack),
        *_commander(pack),
        *_references(pack),
        *_update_cadences(pack),
        *_deadline_order(pack),
        *_escalation_criteria(pack),
        *_step_order(pack),
        *_avoided_wording(pack),
    ]


def _duplicates(
    section: str, ids: Iterable[str | int], what: str, key: str = "id"
) -> Iterator[Problem]:
    first: dict[str | int, int] = {}
    for index, value in enumerate(ids):
        if value in first:
            yield Problem(
                (section, index, key),
                f"duplicate {key} {value!r} (also {section}[{first[value]}].{key})",
                f"a unique {key} for each {what}",
            )
        else:
            first[value] = index


def _unique_ids(pack: Pack) -> Iterator[Problem]:
    yield from _duplicates("severities", (s.id for s in pack.severities), "severity")
    yield from _duplicates("roles", (r.id for r in pack.roles), "role")
    yield from _duplicates("playbooks", (p.id for p in pack.playbooks), "playbook")
    yield from _duplicates("checklists", (c.id for c in pack.checklists), "checklist")
    yield from _duplicates(
        "escalation", (e.level for e in pack.escalation), "escalation level", key="level"
    )
    for index, (lower, higher) in enumerate(
        zip(pack.escalation, pack.escalation[1:], strict=False)
    ):
        if higher.level < lower.level:
            yield Problem(
                ("escalation", index + 1, "level"),
                f"level {higher.level} comes after level {lower.level}",
                "escalation levels in ascending order",
            )
    for problem in _duplicates("audiences", (a.id for a in pack.comms.audiences), "audience"):
        yield Problem(("comms", *problem.loc), problem.problem, problem.expected)
    seen: dict[str, int] = {}
    for index, label in enumerate(pack.incident_log):
        key = lookup_key(label)
        if key in seen:
            yield Problem(
                ("incident_log", index),
                f"duplicate field {label!r} (also incident_log[{seen[key]}])",
                "each incident-log field once",
            )
        seen.setdefault(key, index)


def _lookup_ambiguity(pack: Pack) -> Iterator[Problem]:
    """Names and aliases must not collide, or `pack.severity()`/`pack.role()` would guess."""
    sections: tuple[tuple[str, Sequence[Severity | Role]], ...] = (
        ("severities", pack.severities),
        ("roles", pack.roles),
    )
    for section, items in sections:
        owner: dict[str, int] = {}
        ids_seen: set[str] = set()
        for index, item in enumerate(items):
            if item.id in ids_seen:
                continue  # a duplicate id is reported by _unique_ids already
            ids_seen.add(item.id)
            named: list[tuple[Loc, str]] = [((section, index, "id"), item.id)]
            named.append(((section, index, "name"), item.name))
            named += [((section, index, "aliases", i), a) for i, a in enumerate(item.aliases)]
            for loc, text in named:
                key = lookup_key(text)
                if not key:
                    yield Problem(loc, f"{text!r} has no letters or digits", "a usable name")
                elif owner.setdefault(key, index) != index:
                    yield Problem(
                        loc,
                        f"{text!r} reads the same as a name of {section}[{owner[key]}] "
                        "when case and punctuation are ignored",
                        "ids, names and aliases that identify one entry each",
                    )


def _commander(pack: Pack) -> Iterator[Problem]:
    for index, role in enumerate(pack.roles):
        if role.id == "commander":
            if not role.single:
                yield Problem(
                    ("roles", index, "single"),
                    "the commander role is not single",
                    "single: true (exactly one incident commander at a time)",
                )
            return
    yield Problem(
        ("roles",),
        "no role has id 'commander'",
        "a role with id: commander and single: true (the incident commander)",
    )


def _references(pack: Pack) -> Iterator[Problem]:
    role_ids = {r.id for r in pack.roles}
    roles_expected = "one of the role ids: " + ", ".join(pack.role_ids)

    def role_ref(loc: Loc, role_id: str | None) -> Iterator[Problem]:
        if role_id is not None and role_id not in role_ids:
            yield Problem(loc, f"no role has id {role_id!r}", roles_expected)

    yield from role_ref(("comms", "owner_role"), pack.comms.owner_role)
    for index, level in enumerate(pack.escalation):
        yield from role_ref(("escalation", index, "role"), level.role)

    severity_ids = set(pack.severity_ids)
    for r_index, rule in enumerate(pack.alert_rules):
        if rule.duration.is_business:
            yield Problem(
                ("alert_rules", r_index, "duration"),
                f"{rule.duration} follows the business calendar",
                "an elapsed time such as 5m or 1h (monitoring measures elapsed time)",
            )
        if rule.severity not in severity_ids:
            yield Problem(
                ("alert_rules", r_index, "severity"),
                f"no severity has id {rule.severity!r}",
                "one of the severity ids: " + ", ".join(pack.severity_ids),
            )
    audience_ids = [a.id for a in pack.comms.audiences]
    for p_index, playbook in enumerate(pack.playbooks):
        if playbook.severity not in severity_ids:
            named = pack.severity(playbook.severity)
            hint = f" (did you mean the id {named.id!r}?)" if named else ""
            yield Problem(
                ("playbooks", p_index, "severity"),
                f"no severity has id {playbook.severity!r}{hint}",
                "one of the severity ids: " + ", ".join(pack.severity_ids),
            )
        for f_index, phase in enumerate(playbook.phases):
            for s_index, step in enumerate(phase.steps):
                loc: Loc = ("playbooks", p_index, "phases", f_index, "steps", s_index)
                yield from role_ref((*loc, "role"), step.role)
                if step.audience is None:
                    continue
                if step.kind != "message":
                    yield Problem(
                        (*loc, "audience"),
                        f"audience is set on a step of kind {step.kind!r}",
                        "audience only on steps with kind: message",
                    )
                elif step.audience not in audience_ids:
                    known = ", ".join(audience_ids) or "none are defined"
                    yield Problem(
                        (*loc, "audience"),
                        f"no comms audience has id {step.audience!r}",
                        f"one of the comms.audiences ids ({known})",
                    )


def _escalation_criteria(pack: Pack) -> Iterator[Problem]:
    """Each criterion says one thing the bot can act on, about severities that exist."""
    conditions: dict[str, Loc] = {}
    for l_index, level in enumerate(pack.escalation):
        for c_index, criterion in enumerate(level.criteria):
            loc: Loc = ("escalation", l_index, "criteria", c_index)
            given = [name for name in ("after", "missed", "condition") if getattr(criterion, name)]
            if len(given) > 1:
                yield Problem(
                    loc,
                    f"the criterion gives both {given[0]} and {given[1]}",
                    "one of after, missed or condition per criterion (list several criteria "
                    "when any of them reaches the level)",
                )
            if not given and not criterion.severities:
                yield Problem(
                    loc,
                    "the criterion says nothing",
                    "severities (reached at once at those levels), after, missed or condition",
                )
            yield from _criterion_refs(pack, loc, criterion, conditions)


def _criterion_refs(
    pack: Pack, loc: Loc, criterion: Criterion, conditions: dict[str, Loc]
) -> Iterator[Problem]:
    for s_index, severity_id in enumerate(criterion.severities):
        if pack.severity(severity_id) is None or severity_id not in pack.severity_ids:
            yield Problem(
                (*loc, "severities", s_index),
                f"no severity has id {severity_id!r}",
                "one of the severity ids: " + ", ".join(pack.severity_ids),
            )
    if criterion.after is not None and criterion.after.is_business:
        yield Problem(
            (*loc, "after"),
            f"{criterion.after} follows the business calendar",
            "an elapsed time such as 15m or 1h",
        )
    if criterion.missed is not None:
        applies = [
            s for s in pack.severities if not criterion.severities or s.id in criterion.severities
        ]
        if not any(getattr(s, criterion.missed) for s in applies):
            yield Problem(
                (*loc, "missed"),
                f"no severity it applies to has a {criterion.missed} target",
                f"a {criterion.missed} on those severities, or another criterion",
            )
    if criterion.condition is not None:
        key = lookup_key(criterion.condition)
        if key in conditions:
            yield Problem(
                (*loc, "condition"),
                f"the condition {criterion.condition!r} is given twice",
                "each condition once (it is confirmed by name)",
            )
        conditions.setdefault(key, loc)


def _step_order(pack: Pack) -> Iterator[Problem]:
    """Step ids are unique in their playbook; `after` names earlier steps of it."""
    for p_index, playbook in enumerate(pack.playbooks):
        seen: dict[str, str] = {}
        for f_index, phase in enumerate(playbook.phases):
            for s_index, step in enumerate(phase.steps):
                loc: Loc = ("playbooks", p_index, "phases", f_index, "steps", s_index)
                for a_index, name in enumerate(step.after):
                    if name not in seen:
                        known = ", ".join(seen) or "none so far"
                        yield Problem(
                            (*loc, "after", a_index),
                            f"no earlier step of this playbook has id {name!r}",
                            f"the id of an earlier step (earlier ids: {known})",
                        )
                if step.id is None:
                    continue
                if step.id in seen:
                    yield Problem(
                        (*loc, "id"),
                        f"duplicate step id {step.id!r} (also {seen[step.id]})",
                        "a unique id for each step of the playbook",
                    )
                seen.setdefault(step.id, f"phase {f_index + 1}, step {s_index + 1}")


def _update_cadences(pack: Pack) -> Iterator[Problem]:
    """Update reminders repeat on a stopwatch; a business-calendar interval has no fixed
    length to repeat."""
    for index, severity in enumerate(pack.severities):
        for audience in ("internal", "customer"):
            every = getattr(severity.updates, audience)
            if every is not None and every.is_business:
                yield Problem(
                    ("severities", index, "updates", audience),
                    f"{every} follows the business calendar",
                    "an elapsed time such as 30m or 1h (update reminders repeat at a fixed "
                    "interval)",
                )


def _measure(duration: Duration) -> tuple[str, int]:
    """A duration's unit and count: two durations compare only in the same unit, since how
    business days or hours relate to elapsed time depends on the calendar."""
    if duration.business_days:
        return "business days", duration.business_days
    if duration.business_hours:
        return "business hours", duration.business_hours
    return "seconds", duration.seconds


def _deadline_order(pack: Pack) -> Iterator[Problem]:
    for index, severity in enumerate(pack.severities):
        respond, resolve = severity.respond_within, severity.resolve_within
        if respond and resolve:
            (respond_unit, respond_count), (resolve_unit, resolve_count) = map(
                _measure, (respond, resolve)
            )
            if respond_unit == resolve_unit and respond_count > resolve_count:
                yield Problem(
                    ("severities", index, "resolve_within"),
                    f"resolve_within {resolve} is shorter than respond_within {respond}",
                    "a resolution target no shorter than the response target",
                )
    for p_index, playbook in enumerate(pack.playbooks):
        for f_index, phase in enumerate(playbook.phases):
            for s_index, step in enumerate(phase.steps):
                if step.monitor is not None and step.monitor.is_business:
                    yield Problem(
                        ("playbooks", p_index, "phases", f_index, "steps", s_index, "monitor"),
                        f"{step.monitor} follows the business calendar",
                        "an elapsed time such as 5m or 2h (someone watches the system)",
                    )
    for p_index, playbook in enumerate(pack.playbooks):
        latest: dict[str, tuple[int, str]] = {}  # by unit: phases compare within a unit
        for f_index, phase in enumerate(playbook.phases):
            if phase.within is None:
                continue
            unit, count = _measure(phase.within)
            before = latest.get(unit)
            if before and count < before[0]:
                yield Problem(
                    ("playbooks", p_index, "phases", f_index, "within"),
                    f"{phase.within} is earlier than the {before[1]} deadline of an earlier phase",
                    "phase deadlines that never decrease",
                )
            else:
                latest[unit] = (count, str(phase.within))


def _avoided_wording(pack: Pack) -> Iterator[Problem]:
    """The pack's own wording must pass its own avoid list."""
    avoid = pack.comms.avoid
    expected = "wording without: " + ", ".join(avoid)
    texts: list[tuple[Loc, str]] = [(("comms", "template"), pack.comms.template)]
    for a_index, audience in enumerate(pack.comms.audiences):
        if audience.template:
            texts.append((("comms", "audiences", a_index, "template"), audience.template))
        for e_index, example in enumerate(audience.examples):
            texts.append((("comms", "audiences", a_index, "examples", e_index), example))
    for p_index, playbook in enumerate(pack.playbooks):
        for f_index, phase in enumerate(playbook.phases):
            for s_index, step in enumerate(phase.steps):
                if step.kind == "message":
                    loc: Loc = ("playbooks", p_index, "phases", f_index, "steps", s_index, "text")
                    texts.append((loc, step.text))
    for loc, text in texts:
        found = find_avoided_phrases(text, avoid)
        if found:
            quoted = ", ".join(repr(f) for f in found)
            yield Problem(loc, f"uses avoided wording {quoted}", expected)
