"""playbooks.checks: escalation criteria and step order say things the bot can act on."""

from __future__ import annotations

from typing import Any

from playbooks.checks import pack_problems
from playbooks.model import Pack
from tests.playbooks.factories import minimal_pack


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(location, problem) of each cross-reference problem."""
    found = pack_problems(Pack.model_validate(data))
    return [(".".join(str(part) for part in p.loc), p.problem) for p in found]


def with_levels(*criteria: dict[str, Any]) -> dict[str, Any]:
    data = minimal_pack()
    data["severities"][0]["respond_within"] = "15m"
    data["escalation"] = [{"level": 1, "name": "On call", "criteria": list(criteria)}]
    return data


def test_well_formed_criteria_pass():
    assert (
        problems(
            with_levels(
                {"severities": ["sev1"]},
                {"severities": ["sev1"], "after": "15m"},
                {"missed": "respond_within"},
                {"condition": "Data integrity is in doubt"},
            )
        )
        == []
    )


def test_each_criterion_says_one_thing_about_severities_that_exist():
    assert problems(
        with_levels(
            {},
            {"after": "15m", "condition": "Both"},
            {"severities": ["sev9"]},
            {"after": "1 business day"},
            {"missed": "resolve_within"},
            {"condition": "Twice"},
            {"condition": "twice"},
        )
    ) == [
        ("escalation.0.criteria.0", "the criterion says nothing"),
        ("escalation.0.criteria.1", "the criterion gives both after and condition"),
        ("escalation.0.criteria.2.severities.0", "no severity has id 'sev9'"),
        ("escalation.0.criteria.3.after", "1 business day follows the business calendar"),
        (
            "escalation.0.criteria.4.missed",
            "no severity it applies to has a resolve_within target",
        ),
        ("escalation.0.criteria.6.condition", "the condition 'twice' is given twice"),
    ]


def test_after_names_earlier_steps_and_step_ids_are_unique():
    data = minimal_pack()
    steps = data["playbooks"][0]["phases"][0]["steps"]
    steps[0].update(id="rollback", after=["verify"])
    steps[1].update(id="rollback")
    steps.append({"text": "Verify", "id": "verify", "after": ["rollback"]})
    assert problems(data) == [
        (
            "playbooks.0.phases.0.steps.0.after.0",
            "no earlier step of this playbook has id 'verify'",
        ),
        ("playbooks.0.phases.0.steps.1.id", "duplicate step id 'rollback' (also phase 1, step 1)"),
    ]
