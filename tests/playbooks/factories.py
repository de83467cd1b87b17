"""A minimal valid pack to mutate in tests, and a helper to write it to disk."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

MINIMAL_PACK: dict[str, Any] = {
    "id": "mini",
    "title": "Minimal pack",
    "severities": [
        {
            "id": "sev1",
            "name": "SEV-1",
            "description": "Everything is down.",
            "updates": {"internal": "30m", "customer": "1h"},
        },
        {
            "id": "sev2",
            "name": "SEV-2",
            "description": "Partly down.",
            "updates": {"internal": "1h"},
        },
    ],
    "roles": [
        {
            "id": "commander",
            "name": "Incident Commander",
            "description": "Decides.",
            "single": True,
        },
        {"id": "comms_lead", "name": "Communications Lead", "description": "Talks."},
    ],
    "playbooks": [
        {
            "id": "outage",
            "title": "Outage",
            "severity": "sev1",
            "match": ["outage", "down"],
            "phases": [
                {
                    "name": "Mitigate",
                    "within": "15m",
                    "steps": [
                        {"text": "Roll back", "role": "commander"},
                        {"text": "We are on it.", "kind": "message", "audience": "customers"},
                    ],
                }
            ],
        }
    ],
    "comms": {
        "avoid": ["bug"],
        "template": "We are looking into it.",
        "owner_role": "comms_lead",
        "audiences": [{"id": "customers", "name": "Customers"}],
    },
    "incident_log": ["Incident ID", "Severity"],
}


def minimal_pack() -> dict[str, Any]:
    """A fresh deep copy of the minimal pack."""
    return copy.deepcopy(MINIMAL_PACK)


def write_pack(directory: Path, data: dict[str, Any] | str, name: str = "pack.yml") -> Path:
    """Write a pack (a dict dumped as YAML, or raw text) and return its path."""
    path = directory / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path
