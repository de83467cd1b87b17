"""`POST /alerts/{alertmanager,grafana,generic}`: alerts from monitoring, kept before 2xx.

A request is checked in this order, and a refusal changes nothing: size (413), the bearer
token of one of `ALERT_TOKENS`, compared in constant time (401), the optional HMAC
signature (401), JSON and the format's shape (400, with the reason). Accepted alerts are
committed to the inbox (the same durable intake as Slack's deliveries) before the 202;
when the database cannot keep them in time the answer is 503 with Retry-After, and the
sender (Alertmanager, Grafana) sends them again. Routing them runs after the answer, and a
process that dies mid-way leaves them to be replayed by any replica.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from bot.deps import Deps
from bot.domain.alert_formats import parse_alertmanager, parse_generic, parse_grafana
from bot.domain.alerts import BadAlert, IncomingAlert
from bot.intake import NotRecorded
from bot.logs import REQUEST_KIND, about
from bot.services import alerts

log = logging.getLogger(__name__)
MAX_ALERT_BODY = 512 * 1024
SIGNATURE_HEADER = "X-Alert-Signature"
FORMATS: dict[str, Callable[[object], list[IncomingAlert]]] = {
    "alertmanager": parse_alertmanager,
    "grafana": parse_grafana,
    "generic": parse_generic,
}


def sender(authorization: str | None, tokens: Mapping[str, SecretStr]) -> str | None:
    """The name of the sender whose token the `Authorization: Bearer …` header carries.

    Every configured token is compared, each in constant time, so the answer's timing does
    not tell which (or whether any) token came close."""
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return None
    offered = given.strip().encode()
    found = None
    for name, token in tokens.items():
        if hmac.compare_digest(offered, token.get_secret_value().encode()):
            found = name
    return found


def signed(body: bytes, header: str | None, secret: SecretStr) -> bool:
    """`sha256=<hex HMAC-SHA256 of the body>`, checked in constant time."""
    expected = hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest((header or "").strip(), f"sha256={expected}")


def _answer(status: int, **data: Any) -> web.Response:
    headers = {"Retry-After": "5"} if status == 503 else None
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="alerts"'}
    return web.json_response(data, status=status, headers=headers)


def routes(deps: Deps) -> list[web.RouteDef]:
    """The alert endpoints, served by the same aiohttp app in HTTP and Socket Mode."""

    async def receive(request: web.Request) -> web.Response:
        fmt = request.match_info["fmt"]
        with about(REQUEST_KIND, "alert"):
            answer, source, accepted = await _receive(deps, request, fmt)
        known = fmt if fmt in FORMATS else "other"
        deps.metrics.alert_request(source or "unknown", known, alerts=accepted)
        return answer

    return [web.post("/alerts/{fmt}", receive)]


async def _receive(
    deps: Deps, request: web.Request, fmt: str
) -> tuple[web.Response, str | None, int | None]:
    """The answer, the sender (None until its token is known) and how many alerts were
    accepted (None: the request was refused)."""
    if fmt not in FORMATS:
        error = f"unknown alert format {fmt[:40]!r}: use {', '.join(FORMATS)}"
        return _answer(404, error=error), None, None
    too_large = f"the body is over {MAX_ALERT_BODY // 1024} KiB"
    if (request.content_length or 0) > MAX_ALERT_BODY:
        return _answer(413, error=too_large), None, None
    body = await request.content.read(MAX_ALERT_BODY + 1)
    if len(body) > MAX_ALERT_BODY:
        return _answer(413, error=too_large), None, None
    source = sender(request.headers.get("Authorization"), deps.settings.alert_tokens)
    if source is None:
        return _answer(401, error="missing or unknown bearer token"), None, None
    secret = deps.settings.alert_hmac_secret
    if secret is not None and not signed(body, request.headers.get(SIGNATURE_HEADER), secret):
        return _answer(401, error=f"missing or wrong {SIGNATURE_HEADER}"), source, None
    found = _parse(fmt, body)
    if isinstance(found, str):
        return _answer(400, error=found), source, None
    if not found:
        return _answer(200, accepted=0), source, 0
    key = f"alert:{uuid.uuid4().hex}"
    payload = alerts.batch_payload(fmt, source, found)
    try:
        await deps.intake.admit(key=key, kind="alert", payload=payload)
    except NotRecorded as error:
        log.warning("alerts not kept, the sender will retry: %s", error)
        again = "the alerts could not be kept right now; send them again"
        return _answer(503, error=again), source, None
    deps.lifecycle.spawn(process(deps, key, payload), name=f"route-{key}")
    return _answer(202, accepted=len(found), id=key), source, len(found)


def _parse(fmt: str, body: bytes) -> list[IncomingAlert] | str:
    """The alerts, or why the body is not valid (one line)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"the body is not JSON: {error}"[:300]
    try:
        return FORMATS[fmt](data)
    except BadAlert as error:
        return str(error)[:300]
    except Exception:  # noqa: BLE001 - a body we cannot read is the sender's 400, never a 500
        log.exception("could not read a %s alert body", fmt)
        return f"the body is not a valid {fmt} alert payload"


async def process(deps: Deps, key: str, payload: dict[str, Any]) -> None:
    """Route a kept request's alerts; on failure they stay kept and are replayed."""
    collaborators = alerts.Collaborators(
        db=deps.db,
        slack=deps.slack,
        pack=deps.pack,
        clock=deps.clock,
        settings=deps.settings,
        replica=deps.replica,
    )
    try:
        await alerts.route_batch(key, payload, collaborators)
    except Exception as error:  # noqa: BLE001 - kept in the inbox: replayed when its lease lapses
        deps.metrics.database_error("alert_routing", error)
        log.warning("could not route alerts %s now, they will be replayed: %r", key, error)
    finally:
        deps.intake.forget(key)
