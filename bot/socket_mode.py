"""Socket Mode: Bolt's handler, with each envelope's ack counted as in HTTP mode."""

from __future__ import annotations

import time

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import (
    run_async_bolt_app,
    send_async_response,
)
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.logs import REQUEST_KIND, about
from bot.metrics import Metrics
from bot.payload_shape import request_kind


class ObservedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler; each envelope is dispatched with its request kind set
    for the log lines of its listeners, and its ack counted by kind with the time from the
    envelope's arrival to the ack being sent.

    `handle` is Bolt's own (dispatch, then send the response) with the measurement around
    it. An envelope Bolt answers with anything but 200 gets no ack (Slack sends it again);
    it is not counted as an ack (a 503 is counted as not recorded where it is decided).
    """

    def __init__(self, app: AsyncApp, app_token: str, *, metrics: Metrics) -> None:
        super().__init__(app, app_token)
        self.metrics = metrics

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        """Dispatch one envelope to Bolt and send its ack."""
        arrived, started = time.perf_counter(), time.time()  # Bolt logs the wall-clock one
        kind = request_kind(req.payload)
        with about(REQUEST_KIND, kind):
            response = await run_async_bolt_app(self.app, req)
        await send_async_response(client, req, response, started)
        if response.status == 200:
            self.metrics.acked(kind, time.perf_counter() - arrived)
