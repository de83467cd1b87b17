"""`GET /metrics`: this process's counters, and the gauges read from the database now.

Counters are per process (sum them across replicas); the open-incident gauges come from the
database at each scrape, so every replica reports the same numbers (take their max). A
database that does not answer in time leaves those gauges out of the scrape (and counts a
database error) rather than failing it: the process's own counters still matter then.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.deps import Deps
from storage import repo

log = logging.getLogger(__name__)
READ_TIMEOUT = 2.0  # seconds: under Prometheus's default scrape timeout of 10 s


async def _open_by_severity(deps: Deps) -> dict[str, int] | None:
    """Open incidents per severity, or None when the database does not answer in time."""
    try:
        async with asyncio.timeout(READ_TIMEOUT), deps.db.reader() as session:
            return await repo.count_open_by_severity(session=session)
    except Exception as error:  # noqa: BLE001 - a scrape reports; it never fails for this
        deps.metrics.database_error("metrics")
        log.warning("could not read open incidents for /metrics: %r", error)
        return None


def routes(deps: Deps) -> list[web.RouteDef]:
    """The metrics endpoint, served in HTTP and Socket Mode alike."""
    # prometheus-client's own handler: the text format, or OpenMetrics when Prometheus asks
    # for it (Accept), compressed when the scraper accepts it.
    render = make_aiohttp_handler(deps.metrics.registry)

    async def metrics(request: web.Request) -> web.StreamResponse:
        counts = await _open_by_severity(deps)
        # The gauges are filled and rendered with no await between: a concurrent scrape
        # cannot interleave.
        deps.metrics.show_open_incidents(counts, (s.id for s in deps.pack.severities))
        return await render(request)

    return [web.get("/metrics", metrics)]
