"""Socket Mode side of the fake: `GET /socket?ticket=...` WebSocket, envelopes and acks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from .models import JSON
from .state import Workspace

log = logging.getLogger(__name__)

RESPONSE_PAYLOAD_TYPES = {"view_submission", "block_suggestion"}


class SocketHub:
    """Tracks Socket Mode connections and matches envelopes with the client's acks."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.connections: list[web.WebSocketResponse] = []
        self.connects = 0
        self.acks: list[JSON] = []
        self._pending: dict[str, asyncio.Future[JSON]] = {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler: upgrade, say hello, then read acks until the client goes away."""
        if request.query.get("ticket") not in self.ws.tickets:
            return web.Response(status=401, text="invalid_ticket")
        sock = web.WebSocketResponse(autoping=True)  # answers the SDK's pings with pongs
        await sock.prepare(request)
        self.connections.append(sock)
        self.connects += 1
        await sock.send_json(
            {
                "type": "hello",
                "num_connections": len(self.connections),
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.ws.app_id},
            }
        )
        try:
            async for msg in sock:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(msg.data)
        finally:
            self.connections.remove(sock)
        return sock

    def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("fake Slack got a non-JSON Socket Mode frame: %r", data)
            return
        if not isinstance(message, dict) or "envelope_id" not in message:
            return
        self.acks.append(message)
        self.ws.changed()
        future = self._pending.get(message["envelope_id"])
        if future is not None and not future.done():
            future.set_result(message)

    def live(self) -> list[web.WebSocketResponse]:
        """Open connections, oldest first."""
        return [s for s in self.connections if not s.closed]

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait until at least one client is connected."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.live():
            if loop.time() > deadline:
                raise TimeoutError(f"no Socket Mode client connected within {timeout}s")
            await asyncio.sleep(0.01)

    async def send(
        self,
        type_: str,
        payload: JSON,
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,
    ) -> JSON:
        """Send an envelope to the newest connection and return the client's ack."""
        await self.wait_connected(timeout)
        if accepts_response_payload is None:
            accepts_response_payload = type_ == "slash_commands" or (
                type_ == "interactive" and payload.get("type") in RESPONSE_PAYLOAD_TYPES
            )
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "type": type_,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if type_ == "events_api" or retry_attempt or retry_reason:
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._pending[envelope["envelope_id"]] = future
        try:
            await self.live()[-1].send_json(envelope)
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no ack for {type_} envelope {envelope['envelope_id']} within {timeout}s"
            ) from None
        finally:
            self._pending.pop(envelope["envelope_id"], None)

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every connected client to reconnect (Slack's `disconnect` message)."""
        for sock in self.live():
            await sock.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-slack"}}
            )

    async def close_all(self) -> None:
        """Close every connection (used on server stop)."""
        for sock in list(self.connections):
            with contextlib.suppress(Exception):
                await sock.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
