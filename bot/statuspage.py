"""The HTTP client of Atlassian Statuspage (REST API v1): create, update and resolve an
incident on the configured page.

`Statuspage.send` makes one request and raises `PagerError` (saying whether a retry can
help) unless it gets a 2xx. The key comes from the settings (`Authorization: OAuth <key>`)
and never appears in an error or a log line.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp
from pydantic import SecretStr

from bot.pagers import FINAL, TIMEOUT, PagerError
from bot.settings import Settings
from storage.models import StatuspageCall

# The bot's incident status → Statuspage's incident status.
STATUSES = {
    "investigating": "investigating",
    "identified": "identified",
    "monitoring": "monitoring",
    "resolved": "resolved",
}


def statuspage_status(status: str) -> str:
    """The Statuspage status of the bot's (anything unknown: investigating)."""
    return STATUSES.get(status, "investigating")


def request_body(call: StatuspageCall) -> dict[str, Any]:
    """`{"incident": {...}}`: name, status, body (and impact_override) to create; status and
    body to update or resolve."""
    incident: dict[str, Any] = {"status": call.status, "body": call.body}
    if call.action == "create":
        incident["name"] = call.name
        if call.impact:
            incident["impact_override"] = call.impact
    return {"incident": incident}


class Statuspage:
    """Sends calls with one pooled aiohttp session, created on first use."""

    def __init__(
        self, *, url: str, page_id: str | None, key: SecretStr | None, timeout: float = TIMEOUT
    ) -> None:
        self.url = url.rstrip("/")
        self.page_id = page_id
        self._key = key
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"Statuspage({self.page_id!r}, key redacted)"

    @classmethod
    def from_settings(cls, settings: Settings, *, timeout: float = TIMEOUT) -> Statuspage:
        """The Statuspage page the settings configure (maybe none)."""
        return cls(
            url=settings.statuspage_api_url,
            page_id=settings.statuspage_page_id,
            key=settings.statuspage_api_key,
            timeout=timeout,
        )

    @property
    def configured(self) -> bool:
        """Whether STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY are both set."""
        return bool(self.page_id and self._key)

    async def send(self, call: StatuspageCall, incident_id: str | None) -> str:
        """Make one call (an update or resolve to Statuspage incident `incident_id`);
        returns the Statuspage incident's ID."""
        if self._key is None or not self.page_id:
            raise PagerError("STATUSPAGE_PAGE_ID or STATUSPAGE_API_KEY is not set", retry=False)
        secret = self._key.get_secret_value()
        page = quote(self.page_id, safe="")
        url, method = f"{self.url}/pages/{page}/incidents", "POST"
        if call.action != "create":
            if not incident_id:
                raise PagerError("the Statuspage incident was never created", retry=False)
            url, method = f"{url}/{quote(incident_id, safe='')}", "PATCH"
        headers = {"Authorization": f"OAuth {secret}"}
        try:
            async with asyncio.timeout(self.timeout):
                async with self._client().request(
                    method, url, json=request_body(call), headers=headers
                ) as response:
                    if 200 <= response.status < 300:
                        answer = await response.json()
                        return str(answer.get("id") or incident_id or "")
                    text = (await response.text())[:200].replace(secret, "[redacted]")
        except TimeoutError:
            reason = f"Statuspage did not answer within {self.timeout:g} s"
            raise PagerError(reason, retry=True) from None
        except (aiohttp.ClientError, ValueError) as error:
            reason = f"Statuspage unreachable ({type(error).__name__})"
            raise PagerError(reason, retry=True) from None
        reason = f"Statuspage answered {response.status} {text}".strip()
        raise PagerError(reason, retry=response.status not in FINAL)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None
