"""A fake Opsgenie Alert API, checked as Opsgenie documents it.

`POST /v2/alerts` with `Authorization: GenieKey <key>` creates an alert: `message` (required,
≤ 130 characters), `alias` (≤ 512), `description` (≤ 15000), `priority` P1..P5, `details`
(string → string). `POST /v2/alerts/<alias>/close?identifierType=alias` closes one. Both are
processed asynchronously: 202 `{result: "Request will be processed", requestId}`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.base import FakePager, Received

PRIORITIES = {"P1", "P2", "P3", "P4", "P5"}
CLOSE = re.compile(r"^/v2/alerts/([^/]+)/close$")


@dataclass
class FakeOpsgenie(FakePager):
    """Accepts requests with a known GenieKey (others: 401 in the problems list)."""

    api_keys: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def created(self) -> list[dict[str, Any]]:
        """Bodies of the alerts created, in order."""
        return [r.body for r in self.accepted if r.path == "/v2/alerts"]

    def closed(self) -> list[str]:
        """Aliases of the alerts closed, in order."""
        return [m[1] for r in self.accepted if (m := CLOSE.match(r.path))]

    def check(self, received: Received) -> list[str]:
        problems = []
        auth = received.headers.get("Authorization", "")
        scheme, _, key = auth.partition(" ")
        if scheme != "GenieKey" or not key:
            problems.append("Authorization must be GenieKey <key>")
        elif self.api_keys and key not in self.api_keys:
            problems.append("unknown API key")
        if received.path == "/v2/alerts":
            problems += _create_problems(received.body)
        elif CLOSE.match(received.path):
            if received.query.get("identifierType") != "alias":
                problems.append("close by alias needs identifierType=alias")
        else:
            problems.append(f"unknown path {received.path}")
        return problems

    def answer(self, received: Received) -> dict[str, Any]:
        return {
            "result": "Request will be processed",
            "took": 0.01,
            "requestId": f"req-{next(self._ids)}",
        }


def _create_problems(body: dict[str, Any]) -> list[str]:
    problems = []
    message = body.get("message")
    if not isinstance(message, str) or not message or len(message) > 130:
        problems.append("message must be 1 to 130 characters")
    alias = body.get("alias")
    if alias is not None and (not isinstance(alias, str) or len(alias) > 512):
        problems.append("alias must be at most 512 characters")
    description = body.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 15000):
        problems.append("description must be at most 15000 characters")
    if "priority" in body and body["priority"] not in PRIORITIES:
        problems.append("priority must be P1..P5")
    details = body.get("details", {})
    if not isinstance(details, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in details.items()
    ):
        problems.append("details must map strings to strings")
    return problems
