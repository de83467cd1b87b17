"""The HTTP clients of the pagers: PagerDuty Events API v2 and the Opsgenie Alert API.

`Pagers.send` makes one request and raises `PagerError` (saying whether a retry can help)
when it does not get the 202 both APIs answer. The request bodies are built here from a
`PageRequest`; keys come from the settings and never appear in an error or a log line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
from pydantic import SecretStr

from bot.domain.pager import Target, opsgenie_priority, pagerduty_severity
from bot.domain.text import clip
from bot.settings import Settings

SOURCE = "incident-bot"
TIMEOUT = 10.0  # seconds per request: a slow pager must not hold a timer batch for long
PAGERDUTY_SUMMARY = 1024
PAGERDUTY_DEDUP = 255
OPSGENIE_MESSAGE = 130
OPSGENIE_ALIAS = 512
OPSGENIE_DESCRIPTION = 15000
# Answers that a retry cannot fix: the request itself is wrong.
FINAL = frozenset({400, 404, 413, 422})


@dataclass(frozen=True)
class PageRequest:
    """One page to send: trigger (create) or resolve (close), and what it says."""

    target: Target
    action: str  # trigger or resolve
    incident: str  # the dedup key (PagerDuty) and alias (Opsgenie)
    summary: str
    rank: int
    details: Mapping[str, Any] = field(default_factory=dict)
    link: str | None = None


class PagerError(Exception):
    """A page was not accepted; `retry` says whether trying again later can help."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


def pagerduty_body(request: PageRequest, routing_key: str) -> dict[str, Any]:
    """The Events API v2 body: `routing_key`, `event_action`, `dedup_key` and, for a
    trigger, `payload` (summary, source, severity, custom_details) and `links`."""
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": request.action,
        "dedup_key": request.incident[:PAGERDUTY_DEDUP],
    }
    if request.action == "trigger":
        body["payload"] = {
            "summary": clip(request.summary, PAGERDUTY_SUMMARY),
            "source": SOURCE,
            "severity": pagerduty_severity(request.rank),
            "custom_details": dict(request.details),
        }
        if request.link:
            body["links"] = [{"href": request.link, "text": "Incident channel in Slack"}]
    return body


def opsgenie_create_body(request: PageRequest) -> dict[str, Any]:
    """The Alert API create body: message, alias, description, priority, details (strings)."""
    details = {key: str(value) for key, value in request.details.items() if value is not None}
    description = request.summary + (f"\n{request.link}" if request.link else "")
    return {
        "message": clip(request.summary, OPSGENIE_MESSAGE),
        "alias": request.incident[:OPSGENIE_ALIAS],
        "description": clip(description, OPSGENIE_DESCRIPTION),
        "priority": opsgenie_priority(request.rank),
        "source": SOURCE,
        "details": details,
    }


def opsgenie_url(base: str, request: PageRequest) -> str:
    """`{base}/v2/alerts` to create; `{base}/v2/alerts/{alias}/close?identifierType=alias`."""
    if request.action == "trigger":
        return f"{base}/v2/alerts"
    alias = quote(request.incident[:OPSGENIE_ALIAS], safe="")
    return f"{base}/v2/alerts/{alias}/close?identifierType=alias"


class Pagers:
    """Sends pages with one pooled aiohttp session, created on first use."""

    def __init__(
        self,
        *,
        pagerduty_keys: Mapping[str, SecretStr],
        pagerduty_url: str,
        opsgenie_keys: Mapping[str, SecretStr],
        opsgenie_url: str,
        timeout: float = TIMEOUT,
    ) -> None:
        self._keys = {"pagerduty": dict(pagerduty_keys), "opsgenie": dict(opsgenie_keys)}
        self.pagerduty_url = pagerduty_url
        self.opsgenie_url = opsgenie_url
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        names = {service: sorted(keys) for service, keys in self._keys.items()}
        return f"Pagers({names}, keys redacted)"

    @classmethod
    def from_settings(cls, settings: Settings, *, timeout: float = TIMEOUT) -> Pagers:
        """The pagers the settings configure."""
        return cls(
            pagerduty_keys=settings.pagerduty_routing_keys,
            pagerduty_url=settings.pagerduty_events_url,
            opsgenie_keys=settings.opsgenie_api_keys,
            opsgenie_url=settings.opsgenie_api_url,
            timeout=timeout,
        )

    def names(self, service: str) -> frozenset[str]:
        """The target names with a key, for one service."""
        return frozenset(self._keys.get(service, {}))

    async def send(self, request: PageRequest) -> None:
        """Send one page; raises PagerError unless the pager answered 202."""
        key = self._keys.get(request.target.service, {}).get(request.target.name)
        if key is None:
            raise PagerError(f"no key for {request.target.key} in the settings", retry=False)
        secret = key.get_secret_value()
        if request.target.service == "pagerduty":
            url, headers = self.pagerduty_url, {}
            body = pagerduty_body(request, secret)
            name = "PagerDuty"
        else:
            url, headers = (
                opsgenie_url(self.opsgenie_url, request),
                {"Authorization": f"GenieKey {secret}"},
            )
            body = (
                opsgenie_create_body(request) if request.action == "trigger" else {"source": SOURCE}
            )
            name = "Opsgenie"
        try:
            async with asyncio.timeout(self.timeout):
                async with self._client().post(url, json=body, headers=headers) as response:
                    if response.status == 202:
                        return
                    answer = (await response.text())[:200].replace(secret, "[redacted]")
        except TimeoutError:
            raise PagerError(
                f"{name} did not answer within {self.timeout:g} s", retry=True
            ) from None
        except aiohttp.ClientError as error:
            reason = f"{name} unreachable ({type(error).__name__})"
            raise PagerError(reason, retry=True) from None
        raise PagerError(
            f"{name} answered {response.status} {answer}".strip(),
            retry=response.status not in FINAL,
        )

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None
