"""What the sandbox's Slack sends the bot: signed requests to its `/slack/events`, exactly as
Slack's servers would, so everything clicked on the page runs the bot's real code paths."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from .slack.models import JSON
from .slack.payloads import sign_request

TIMEOUT = aiohttp.ClientTimeout(total=10)  # Slack itself gives up after 3 s; a sandbox waits


@dataclass
class Answer:
    """The bot's HTTP answer: status and body (JSON when it is JSON, else the text)."""

    status: int
    body: Any

    @property
    def json(self) -> JSON:
        """The body when it is a JSON object, else an empty one."""
        return self.body if isinstance(self.body, dict) else {}


class BotLink:
    """Signs and sends Slack requests to the bot's Request URL."""

    def __init__(self, events_url: str, secret: str) -> None:
        self.events_url = events_url
        self.secret = secret
        self._http: aiohttp.ClientSession | None = None

    async def form(self, fields: dict[str, str]) -> Answer:
        """A slash command (form fields)."""
        return await self._post(urlencode(fields).encode(), "application/x-www-form-urlencoded")

    async def interaction(self, payload: JSON) -> Answer:
        """An interactivity payload (`payload=<json>`)."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._post(body, "application/x-www-form-urlencoded")

    async def event(self, callback: JSON) -> Answer:
        """An Events API `event_callback`."""
        return await self._post(json.dumps(callback).encode(), "application/json")

    async def _post(self, body: bytes, content_type: str) -> Answer:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=TIMEOUT)
        headers = {"Content-Type": content_type, **sign_request(body, self.secret)}
        async with self._http.post(self.events_url, data=body, headers=headers) as response:
            text = await response.text()
        try:
            return Answer(response.status, json.loads(text) if text else None)
        except ValueError:
            return Answer(response.status, text)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._http is not None:
            await self._http.close()
            self._http = None
