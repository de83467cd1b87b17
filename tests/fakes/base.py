"""A small aiohttp server that checks what it is sent, and can be told to fail."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Received:
    """One request the fake accepted."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakePager:
    """Serves on a free local port; `accepted` are the requests answered 202, `problems`
    the shape errors found (answered 400), `attempts` every request, failed ones included."""

    host: str = "127.0.0.1"
    accepted: list[Received] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    attempts: int = 0
    _failures: list[str] = field(default_factory=list)  # "500", "timeout", … one per request
    _runner: web.AppRunner | None = None
    base_url: str = ""

    def fail(self, times: int, how: str = "500") -> None:
        """Fail the next `times` requests: `500`, `429` or `timeout` (no answer in time)."""
        self._failures += [how] * times

    async def start(self) -> None:
        """Bind a free port and serve."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        self.base_url = f"http://{self.host}:{sock.getsockname()[1]}"
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakePager:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.attempts += 1
        if self._failures:
            how = self._failures.pop(0)
            if how == "timeout":
                await asyncio.sleep(3)  # longer than the client waits in the tests
            return web.json_response(
                {"status": "error", "message": how}, status=int(how) if how.isdigit() else 500
            )
        try:
            body = await request.json()
        except ValueError:
            return self._refuse("the body is not JSON")
        if not isinstance(body, dict):
            return self._refuse("the body is not a JSON object")
        received = Received(request.path, dict(request.query), dict(request.headers), body)
        problems = self.check(received)
        if problems:
            return self._refuse("; ".join(problems))
        self.accepted.append(received)
        return web.json_response(self.answer(received), status=202)

    def _refuse(self, problem: str) -> web.Response:
        self.problems.append(problem)
        return web.json_response({"status": "invalid event", "message": problem}, status=400)

    def check(self, received: Received) -> list[str]:
        """The request's shape problems, as the real API documents them."""
        raise NotImplementedError

    def answer(self, received: Received) -> dict[str, Any]:
        """The 202 body."""
        raise NotImplementedError
