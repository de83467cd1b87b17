"""A fake Atlassian Statuspage REST API v1, checked as Statuspage documents it.

`POST /pages/{page_id}/incidents` creates an incident from `{"incident": {"name", "status",
"body", "impact_override"?}}` (answers 201 with its `id`); `PATCH
/pages/{page_id}/incidents/{incident_id}` updates one with `{"incident": {"status",
"body"}}` (answers 200). Every request needs `Authorization: OAuth <key>`.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.base import FakePager, Received

STATUSES = {"investigating", "identified", "monitoring", "resolved", "scheduled"}
IMPACTS = {"none", "minor", "major", "critical"}


@dataclass
class FakeStatuspage(FakePager):
    """One page with one API key; `incidents` are the incidents created, by ID."""

    page_id: str = "pg0123abcd"
    key: str = "sp-key-0123456789abcdef"
    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def calls(self) -> list[tuple[str, str, dict[str, Any]]]:
        """The accepted calls: (method, path, incident body), in order."""
        return [(r.query["method"], r.path, r.body["incident"]) for r in self.accepted]

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        self.base_url = f"http://{self.host}:{sock.getsockname()[1]}"
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.attempts += 1
        if self._failures:
            how = self._failures.pop(0)
            if how == "timeout":
                await asyncio.sleep(3)
            return web.json_response({"error": how}, status=int(how) if how.isdigit() else 500)
        if request.headers.get("Authorization") != f"OAuth {self.key}":
            return self._refuse_as(401, "missing or wrong Authorization: OAuth <key>")
        try:
            body = await request.json()
        except ValueError:
            return self._refuse_as(400, "the body is not JSON")
        query = {"method": request.method}
        received = Received(request.path, query, dict(request.headers), body)
        problems = self.check(received)
        if problems:
            return self._refuse_as(422, "; ".join(problems))
        self.accepted.append(received)
        return web.json_response(
            self.answer(received), status=201 if request.method == "POST" else 200
        )

    def _refuse_as(self, status: int, problem: str) -> web.Response:
        self.problems.append(problem)
        return web.json_response({"error": problem}, status=status)

    def check(self, received: Received) -> list[str]:
        method, parts = received.query["method"], received.path.strip("/").split("/")
        if parts[:3] != ["pages", self.page_id, "incidents"]:
            return [f"unknown path {received.path}"]
        incident = received.body.get("incident")
        if not isinstance(incident, dict):
            return ["the body needs an incident object"]
        problems = []
        if incident.get("status") not in STATUSES:
            problems.append(f"status must be one of {sorted(STATUSES)}")
        if not isinstance(incident.get("body", ""), str):
            problems.append("body must be a string")
        if method == "POST" and len(parts) == 3:
            if not isinstance(incident.get("name"), str) or not incident["name"]:
                problems.append("name is required to create an incident")
            if incident.get("impact_override", "none") not in IMPACTS:
                problems.append(f"impact_override must be one of {sorted(IMPACTS)}")
        elif method == "PATCH" and len(parts) == 4:
            if parts[3] not in self.incidents:
                problems.append(f"no incident {parts[3]}")
        else:
            problems.append(f"{method} {received.path} is not a route")
        return problems

    def answer(self, received: Received) -> dict[str, Any]:
        parts = received.path.strip("/").split("/")
        incident = received.body["incident"]
        if len(parts) == 3:
            found = {"id": f"sp{len(self.incidents) + 1:04d}", **incident}
            self.incidents[found["id"]] = found
        else:
            found = self.incidents[parts[3]]
            found.update(incident)
        return dict(found)
