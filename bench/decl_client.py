"""Load generator for bench/declarations.py: fire pre-signed POSTs at once, time each answer.

Runs as its own process (`python -m bench.decl_client`) so that the timing of the bot's HTTP
answers is not delayed by the fake Slack, which shares the benchmark's event loop. Reads one
JSON document from stdin:

    {"url": "http://127.0.0.1:PORT/slack/events", "timeout": 30,
     "requests": [{"token": "...", "body": "<urlencoded form>", "headers": {...}}, ...]}

sends every request concurrently (one connection each, as Slack would), and prints one JSON
document: {"results": [{"token", "status", "sent", "answered", "latency"}, ...]} where `sent`
and `answered` are wall-clock (time.time()) and `latency` is from a monotonic clock.

A request may carry `"at": <seconds>`: it is then sent that long after the start instead of
at once (bench/alerts.py paces a storm this way); the others still go all together.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp


async def _one(
    http: aiohttp.ClientSession,
    url: str,
    request: dict[str, Any],
    start: asyncio.Event,
    origin: list[float],
) -> dict[str, Any]:
    await start.wait()
    if request.get("at"):
        await asyncio.sleep(max(0.0, origin[0] + float(request["at"]) - time.perf_counter()))
    sent, t0 = time.time(), time.perf_counter()
    try:
        async with http.post(
            url, data=request["body"].encode(), headers=request["headers"]
        ) as response:
            await response.read()
            status = response.status
    except Exception as error:  # noqa: BLE001 - report, never crash the run
        status = f"{type(error).__name__}: {error}"
    latency = time.perf_counter() - t0
    return {
        "token": request["token"],
        "status": status,
        "sent": sent,
        "answered": time.time(),
        "latency": latency,
    }


async def main() -> None:
    job = json.loads(sys.stdin.read())
    timeout = aiohttp.ClientTimeout(total=float(job.get("timeout", 30)))
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        start = asyncio.Event()
        origin = [0.0]  # perf_counter at the start, for requests with an "at"
        tasks = [
            asyncio.create_task(_one(http, job["url"], request, start, origin))
            for request in job["requests"]
        ]
        await asyncio.sleep(0)  # every task is parked on the event: release them together
        origin[0] = time.perf_counter()
        start.set()
        results = await asyncio.gather(*tasks)
    sys.stdout.write(json.dumps({"results": results}))


if __name__ == "__main__":
    asyncio.run(main())
