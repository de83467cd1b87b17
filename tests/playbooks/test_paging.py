"""playbooks.paging: a phase longer than one Slack message is paged into parts, not cut."""

from __future__ import annotations

from playbooks.loader import load_pack, parse_pack
from playbooks.paging import STEPS_PER_MESSAGE

PACK = """
id: long
title: Long phases
severities:
  - {id: sev1, name: SEV-1, description: Bad., updates: {internal: 30m}}
roles:
  - {id: commander, name: Incident Commander, description: Runs it., single: true}
playbooks:
  - id: big
    title: Big recovery
    severity: sev1
    phases:
      - name: Recover
        within: 30m
        rules: ["Disable first, fix second"]
        steps: [%s]
      - name: Verify
        steps: [{text: Check the dashboards}]
comms: {template: We are on it.}
incident_log: [Incident ID]
"""


def test_a_phase_of_50_steps_becomes_three_parts_with_every_step_kept_in_order():
    steps = ", ".join(f"{{text: Step {n}}}" for n in range(1, 51))
    pack = parse_pack(PACK % steps)
    [playbook] = pack.playbooks
    assert [p.name for p in playbook.phases] == [
        "Recover (1/3)",
        "Recover (2/3)",
        "Recover (3/3)",
        "Verify",
    ]
    assert [len(p.steps) for p in playbook.phases] == [STEPS_PER_MESSAGE, STEPS_PER_MESSAGE, 4, 1]
    paged = [s.text for p in playbook.phases[:3] for s in p.steps]
    assert paged == [f"Step {n}" for n in range(1, 51)]
    assert {str(p.within) for p in playbook.phases[:3]} == {"30m"}
    assert {p.rules for p in playbook.phases[:3]} == {("Disable first, fix second",)}


def test_a_phase_of_exactly_23_steps_and_the_builtin_packs_are_unchanged():
    steps = ", ".join(f"{{text: Step {n}}}" for n in range(1, STEPS_PER_MESSAGE + 1))
    [playbook] = parse_pack(PACK % steps).playbooks
    assert [p.name for p in playbook.phases] == ["Recover", "Verify"]
    for name in ("default", "quickmela", "escrow-pilot", "defcon", "eshop", "prod-100k"):
        pack = load_pack(name)
        assert not [p for pb in pack.playbooks for p in pb.phases if "(1/" in p.name]
