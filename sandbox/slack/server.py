"""FakeSlack: a local aiohttp server playing Slack's Web API, response_url and Socket Mode."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterable
from types import TracebackType

from aiohttp import web
from aiohttp.typedefs import Handler

from .models import JSON
from .responses import handle_response_url
from .scopes import manifest_bot_scopes
from .socketmode import SocketHub
from .state import Workspace
from .webapi import WORKSPACE, handle_api

QUIET = "quiet-"  # routes that only read the workspace: no revision, no wake-up
POLL_SECONDS = 0.01  # wait_for looks again this often even when nothing calls the fake


class FakeSlack(Workspace):
    """A fake Slack workspace served on 127.0.0.1; tests assert on its state.

    `scopes` are the bot scopes granted to the app; by default the ones manifest.yml asks for.
    `rate_limits=True` enforces Slack's rate tiers (see `enforce_rate_limits`), measured on
    `clock` (seconds; default time.monotonic).
    """

    def __init__(
        self,
        bot_token: str = "xoxb-test",
        app_token: str = "xapp-test",
        latency: float = 0.0,
        host: str = "127.0.0.1",
        scopes: Iterable[str] | None = None,
        *,
        rate_limits: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        granted = manifest_bot_scopes() if scopes is None else scopes
        super().__init__(bot_token, app_token, latency, granted)
        self.enforce_rate_limits(rate_limits, clock=clock)
        self.host = host
        self.port = 0
        self.hub = SocketHub(self)
        self._runner: web.AppRunner | None = None

    @property
    def api_url(self) -> str:
        """Web API base URL for `AsyncWebClient(base_url=...)`, with a trailing slash."""
        return f"{self.base_url}/api/"

    def web_app(self) -> web.Application:
        """Slack's endpoints (`/api/{method}`, `/response/{id}`, `/socket`) as an aiohttp app,
        served on its own port by `start`, or mounted inside another server (the sandbox)."""
        app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=[self._wake_waiters])
        app[WORKSPACE] = self
        app.router.add_route("*", "/api/{method}", handle_api)
        app.router.add_post("/response/{id}", handle_response_url)
        app.router.add_get("/socket", self.hub.handle)
        return app

    @web.middleware
    async def _wake_waiters(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """After every request, let `wait_for` look again at once instead of at its next poll.

        Routes named `quiet-…` (the sandbox page reading the workspace) change nothing."""
        name = request.match_info.route.name or ""
        if name.startswith(QUIET):
            return await handler(request)
        try:
            return await handler(request)
        finally:
            self.changed()

    async def start(self) -> None:
        """Bind a free port on `host` and start serving."""
        if self._runner is not None:
            raise RuntimeError("FakeSlack is already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._runner = web.AppRunner(
            self.web_app(), handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self.stopping.clear()

    async def stop(self) -> None:
        """Release hung calls, close Socket Mode connections and stop the server."""
        if self._runner is None:
            return
        self.stopping.set()
        await self.hub.close_all()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def wait_for(
        self, predicate: Callable[[], object], timeout: float = 5.0, message: str = ""
    ) -> None:
        """Poll `predicate` until truthy (exceptions mean "not yet"); AssertionError on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last_error: BaseException | None = None
        while True:
            try:
                if predicate():
                    return
                last_error = None
            except Exception as exc:
                last_error = exc
            if loop.time() > deadline:
                break
            # Woken as soon as the bot's next request to this fake is handled; the poll covers
            # predicates about anything else (the bot's database, its tasks).
            await self.next_change(POLL_SECONDS)
        recent = ", ".join(
            f"{c.method}={'ok' if c.ok else c.error or c.status}" for c in self.calls[-10:]
        )
        detail = f"; last error: {last_error!r}" if last_error else ""
        raise AssertionError(
            f"condition not met within {timeout}s: {message or predicate!r}{detail}; "
            f"last Web API calls: [{recent}]"
        )

    # ---- Socket Mode ----------------------------------------------------------------------

    @property
    def socket_connections(self) -> int:
        """Number of open Socket Mode connections."""
        return len(self.hub.live())

    @property
    def socket_connects(self) -> int:
        """Total Socket Mode connections accepted since start (detects reconnect loops)."""
        return self.hub.connects

    @property
    def socket_acks(self) -> list[JSON]:
        """Every ack (`{"envelope_id", "payload"?}`) received from clients, in order."""
        return self.hub.acks

    async def wait_socket_connected(self, timeout: float = 5.0) -> None:
        """Wait until a Socket Mode client is connected; TimeoutError otherwise."""
        await self.hub.wait_connected(timeout)

    async def socket_send(
        self,
        type_: str,
        payload: JSON,
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,
    ) -> JSON:
        """Send an envelope ("slash_commands" | "interactive" | "events_api"); return the ack."""
        return await self.hub.send(
            type_,
            payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            accepts_response_payload=accepts_response_payload,
            timeout=timeout,
        )

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's `disconnect` message to every connected client."""
        await self.hub.disconnect(reason)
