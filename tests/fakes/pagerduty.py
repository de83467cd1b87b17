"""A fake PagerDuty Events API v2: `POST /v2/enqueue`, checked as PagerDuty documents it.

Required: `routing_key` (string), `event_action` (trigger, acknowledge or resolve),
`dedup_key` (≤ 255 characters; required to acknowledge or resolve); a trigger needs
`payload` with `summary` (≤ 1024), `source` and `severity` (critical, error, warning or
info), and may have `custom_details` (an object) and `links` (`href`, `text`). Answers 202
`{status: "success", dedup_key}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakes.base import FakePager, Received

SEVERITIES = {"critical", "error", "warning", "info"}
ACTIONS = {"trigger", "acknowledge", "resolve"}


@dataclass
class FakePagerDuty(FakePager):
    """Accepts events for the routing keys it knows (others: 400 like PagerDuty's)."""

    routing_keys: set[str] = field(default_factory=set)

    @property
    def events_url(self) -> str:
        """What PAGERDUTY_EVENTS_URL points at."""
        return f"{self.base_url}/v2/enqueue"

    @property
    def events(self) -> list[dict[str, Any]]:
        """The accepted event bodies, in order."""
        return [r.body for r in self.accepted]

    def check(self, received: Received) -> list[str]:
        body, problems = received.body, []
        if received.path != "/v2/enqueue":
            problems.append(f"unknown path {received.path}")
        if not isinstance(body.get("routing_key"), str) or not body["routing_key"]:
            problems.append("routing_key is missing")
        elif self.routing_keys and body["routing_key"] not in self.routing_keys:
            problems.append("invalid routing key")
        action = body.get("event_action")
        if action not in ACTIONS:
            problems.append(f"event_action must be one of {sorted(ACTIONS)}")
        dedup = body.get("dedup_key")
        if dedup is not None and (not isinstance(dedup, str) or len(dedup) > 255):
            problems.append("dedup_key must be a string of at most 255 characters")
        if action in {"acknowledge", "resolve"} and not dedup:
            problems.append("dedup_key is required to acknowledge or resolve")
        if action == "trigger":
            problems += _payload_problems(body.get("payload"))
        for link in body.get("links", []):
            if not isinstance(link, dict) or not isinstance(link.get("href"), str):
                problems.append("a link needs an href")
        return problems

    def answer(self, received: Received) -> dict[str, Any]:
        return {
            "status": "success",
            "message": "Event processed",
            "dedup_key": received.body.get("dedup_key"),
        }


def _payload_problems(payload: object) -> list[str]:
    if not isinstance(payload, dict):
        return ["payload is required to trigger"]
    problems = []
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary or len(summary) > 1024:
        problems.append("payload.summary must be 1 to 1024 characters")
    if not isinstance(payload.get("source"), str) or not payload["source"]:
        problems.append("payload.source is required")
    if payload.get("severity") not in SEVERITIES:
        problems.append(f"payload.severity must be one of {sorted(SEVERITIES)}")
    details = payload.get("custom_details")
    if details is not None and not isinstance(details, dict):
        problems.append("payload.custom_details must be an object")
    return problems
