"""Declarations: ack latency, declare → channel ready, throughput, Web API calls and memory.

    PYTHONPATH=. .venv/bin/python -m bench.declarations [--latency 0.05] [--concurrency 20]
        [--count 200] [--rounds 3] [--burst 50] [--rss-incidents 1000]
        [--database sqlite|postgres] [--phases ack,ready,throughput,rss]
        [--keep-logs DIR]

The bot runs as a real `python -m bot` process in HTTP mode (bench.common.BotProc, the same
environment tests/processes.py uses), against the fake Slack of sandbox/slack served from
this process. Every `/incident declare sevN <title>` is a signed form POST to /slack/events.

Phases (each bounded; the whole run is capped by --deadline):

1. ack — `--rounds` × `--burst` concurrent declarations with `--latency` injected on every
   fake Slack call (Web API and response_url). The POSTs are fired by a separate process
   (bench/decl_client.py) so their timing is not delayed by the fake Slack, which shares
   this process's event loop. Latency = POST sent → HTTP answer read. The first round hits a
   freshly started bot (cold); between rounds the bench waits until every card of the round
   is pinned and Slack traffic has stopped.
2. ready — `--singles` declarations one at a time at `--latency` on the same bot. The fake's
   request log (start and end of every Web API call and response_url POST, recorded by an
   aiohttp middleware) is cut from the POST to the end of pins.add; calls whose
   [start, end] overlap are grouped into waves, and the number of waves is the number of
   sequential Slack round trips. The Web API calls of one whole declaration (until the bot
   falls silent) are counted by method.
3. throughput — a fresh bot and database, zero latency: `--count` declarations with at most
   `--concurrency` in flight, where a declaration stays in flight until its card is pinned
   in the fake. Setups/s = count / (first POST → last pin).
4. rss — on the same bot, more declarations until `--rss-incidents` are open and set up,
   then VmRSS / VmHWM of the bot process from /proc/<pid>/status.

Every run also checks that each declaration got exactly one channel, one announcement and
one pinned card, and prints the commit and a hash of the bot's sources it measured (the
working tree may hold uncommitted work).

Prints a Markdown table (figures vs targets) and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bench.common import (
    BotProc,
    Skip,
    fmt,
    fresh_database,
    json_line,
    machine,
    markdown_table,
    percentile,
)
from sandbox.slack import FakeSlack, sign_request, slash_command_form
from sandbox.slack.webapi import merged_args
from tests.harness import SECRET

ROOT = Path(__file__).resolve().parents[1]
TARGET_ACK_P99_MS = 100.0
TARGET_ROUND_TRIPS = 4
TARGET_SETUPS_PER_S = 50.0
TARGET_RSS_MB = 150.0
USERS = ("U_ALICE", "U_BOB", "U_CAROL")
# Half of the titles match a playbook of the default pack, so the suggestion path runs too.
TITLES = (
    "Checkout errors for EU customers",
    "Refunds executed twice",
    "Login page down",
    "Search latency above SLO",
)
TOKEN_RE = re.compile(r"tk(\d+)n(\d+)")
PHASES = ("ack", "ready", "throughput", "rss")


# ---- the fake Slack with a timed request log ----------------------------------------------


@dataclass
class Req:
    """One request the fake Slack answered: a Web API call or a response_url POST."""

    kind: str  # "api" | "response_url"
    method: str
    start: float
    end: float
    status: int
    channel: str = ""


class TimedFake(FakeSlack):
    """FakeSlack plus a middleware logging start/end of every request and pinned cards."""

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(latency=latency)
        self.log: list[Req] = []
        self.active = 0
        self.last_end = time.time()
        self.token_channel: dict[str, str] = {}  # declaration token -> channel id
        self.channel_token: dict[str, str] = {}
        self.pinned_at: dict[str, float] = {}  # token -> when pins.add answered ok
        self.waiters: dict[str, asyncio.Future[float]] = {}

    def waiter(self, token: str) -> asyncio.Future[float]:
        """A future resolved with the pin time when this declaration's card is pinned."""
        future = self.waiters.get(token)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self.waiters[token] = future
            if token in self.pinned_at:
                future.set_result(self.pinned_at[token])
        return future

    def web_app(self) -> web.Application:
        app = super().web_app()
        app.middlewares.append(self._timing)
        return app

    @web.middleware
    async def _timing(self, request: web.Request, handler: Callable[..., Any]) -> Any:
        start = time.time()
        self.active += 1
        try:
            response = await handler(request)
        finally:
            self.active -= 1
        end = self.last_end = time.time()
        method = request.match_info.get("method", "")
        kind = "api" if request.path.startswith("/api/") else "response_url"
        req = Req(kind, method or "response_url", start, end, response.status)
        if method in ("conversations.create", "pins.add") and response.status == 200:
            await self._track(request, response, req, end)
        self.log.append(req)
        return response

    async def _track(self, request: web.Request, response: Any, req: Req, end: float) -> None:
        body = json.loads(response.text)
        if not body.get("ok"):
            return
        if req.method == "conversations.create":
            channel = body["channel"]
            found = TOKEN_RE.search(channel["name"])
            if found:
                self.token_channel[found[0]] = channel["id"]
                self.channel_token[channel["id"]] = found[0]
            req.channel = channel["id"]
            return
        req.channel = str((await merged_args(request)).get("channel", ""))
        token = self.channel_token.get(req.channel)
        if token and token not in self.pinned_at:
            self.pinned_at[token] = end
            future = self.waiters.get(token)
            if future is not None and not future.done():
                future.set_result(end)

    async def quiet(self, seconds: float = 0.3, timeout: float = 20.0) -> None:
        """Wait until no request has been in progress or answered for `seconds`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.active == 0 and time.time() - self.last_end >= seconds:
                return
            await asyncio.sleep(0.05)


# ---- declarations --------------------------------------------------------------------------


class Declarer:
    """Builds signed `/incident declare` requests with a unique token in every title."""

    def __init__(self, fake: TimedFake) -> None:
        self.fake = fake
        self.count = 0
        self.last_title = ""
        self.general = fake.channel_by_name("general").id  # type: ignore[union-attr]

    def request(self, phase: int) -> tuple[str, bytes, dict[str, str]]:
        """(token, body, headers) of one signed declaration."""
        k = self.count
        self.count += 1
        token = f"tk{phase}n{k}"
        title = f"{TITLES[k % len(TITLES)]} {token}"
        self.last_title = title
        text = f"declare sev{k % 4 + 1} {title}"
        form = slash_command_form(
            self.fake, text=text, user_id=USERS[k % len(USERS)], channel_id=self.general
        )
        body = urlencode(form).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign_request(body, SECRET),
        }
        return token, body, headers


async def fire_burst(url: str, requests: list[tuple[str, bytes, dict[str, str]]]) -> list[Any]:
    """Send the requests all at once from bench/decl_client.py; its per-request results."""
    job = {
        "url": url,
        "timeout": 30,
        "requests": [{"token": t, "body": b.decode(), "headers": h} for t, b, h in requests],
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.decl_client",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=str(ROOT),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(json.dumps(job).encode()), 60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise RuntimeError("decl_client did not finish within 60 s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"decl_client failed: {err.decode()[-2000:]}")
    return json.loads(out)["results"]


async def post_one(
    http: aiohttp.ClientSession, url: str, request: tuple[str, bytes, dict[str, str]]
) -> tuple[float, float, int]:
    """POST in this process; (sent, answered, status) with wall-clock times."""
    _, body, headers = request
    sent = time.time()
    async with http.post(url, data=body, headers=headers) as response:
        await response.read()
        return sent, time.time(), response.status


async def wait_pinned(fake: TimedFake, tokens: list[str], timeout: float) -> list[float]:
    """Pin times of these declarations; raises TimeoutError naming how many are missing."""
    futures = [fake.waiter(t) for t in tokens]
    done, pending = await asyncio.wait(futures, timeout=timeout)
    if pending:
        raise TimeoutError(f"{len(pending)} of {len(tokens)} cards not pinned within {timeout}s")
    return [f.result() for f in futures]


# ---- measurements --------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return seconds * 1000.0


def latency_stats(latencies_s: list[float]) -> dict[str, float]:
    values = [ms(v) for v in latencies_s]
    return {
        "n": len(values),
        "p50_ms": percentile(values, 50),
        "p99_ms": percentile(values, 99),
        "max_ms": max(values) if values else float("nan"),
    }


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def group_waves(reqs: list[Req]) -> list[list[Req]]:
    """Calls whose [start, end] intervals overlap (transitively) form one wave."""
    waves: list[list[Req]] = []
    end = float("-inf")
    for req in sorted(reqs, key=lambda r: r.start):
        if waves and req.start < end:
            waves[-1].append(req)
            end = max(end, req.end)
        else:
            waves.append([req])
            end = req.end
    return waves


def label(req: Req) -> str:
    return req.method if req.kind == "api" else "response_url POST"


async def phase_ack(
    fake: TimedFake, bot: BotProc, declarer: Declarer, args: argparse.Namespace
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{bot.port}/slack/events"
    rounds = []
    all_latencies: list[float] = []
    warm_latencies: list[float] = []
    statuses: Counter[str] = Counter()
    for index in range(args.rounds):
        requests = [declarer.request(1) for _ in range(args.burst)]
        mark = len(fake.log)
        results = await fire_burst(url, requests)
        latencies = [r["latency"] for r in results]
        statuses.update(str(r["status"]) for r in results)
        all_latencies += latencies
        if index > 0:
            warm_latencies += latencies
        pins = await wait_pinned(fake, [t for t, _, _ in requests], timeout=60)
        first_sent, last_answer = (
            min(r["sent"] for r in results),
            max(r["answered"] for r in results),
        )
        # auth.test before the last ack: Bolt's authorize on a cold identity cache (the 5 s
        # housekeeping probe may add one).
        auth_tests = sum(
            1 for r in fake.log[mark:] if r.method == "auth.test" and r.start <= last_answer
        )
        rounds.append(
            {
                "round": index + 1,
                "cold": index == 0,
                **latency_stats(latencies),
                "auth_test_calls_before_last_ack": auth_tests,
                "all_pinned_after_s": max(pins) - first_sent,
            }
        )
        await fake.quiet(0.5)
    return {
        "latency_s": args.latency,
        "burst": args.burst,
        "rounds": rounds,
        "all": latency_stats(all_latencies),
        "warm": latency_stats(warm_latencies),
        "statuses": dict(statuses),
    }


async def phase_ready(
    fake: TimedFake, bot: BotProc, declarer: Declarer, args: argparse.Namespace
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{bot.port}/slack/events"
    singles = []
    async with aiohttp.ClientSession() as http:
        # One unmeasured declaration first: the bot's identity and connections are warm.
        warm = declarer.request(2)
        await post_one(http, url, warm)
        await wait_pinned(fake, [warm[0]], timeout=30)
        await fake.quiet(0.5)
        for _ in range(args.singles):
            request = declarer.request(2)
            token = request[0]
            mark = len(fake.log)
            sent, answered, status = await post_one(http, url, request)
            (pinned,) = await wait_pinned(fake, [token], timeout=30)
            await fake.quiet(0.5)
            reqs = [r for r in fake.log[mark:] if r.method != "auth.test"]
            probes = sum(1 for r in fake.log[mark:] if r.method == "auth.test")
            until_pin = [r for r in reqs if r.end <= pinned + 1e-6]
            waves = group_waves(until_pin)
            gaps = [
                b[0].start - max(r.end for r in a) for a, b in zip(waves, waves[1:], strict=False)
            ]
            title = next(t for t in TITLES if t in declarer.last_title)
            singles.append(
                {
                    "title": title,
                    "status": status,
                    "ack_ms": ms(answered - sent),
                    "ready_ms": ms(pinned - sent),
                    "waves": [sorted(label(r) for r in w) for w in waves],
                    "wave_times_ms": [
                        [
                            round(ms(w[0].start - sent), 1),
                            round(ms(max(r.end for r in w) - sent), 1),
                        ]
                        for w in waves
                    ],
                    "round_trips": len(waves),
                    "api_round_trips": sum(1 for w in waves if any(r.kind == "api" for r in w)),
                    "bot_time_between_waves_ms": round(ms(sum(gaps)), 1),
                    "calls": dict(Counter(label(r) for r in reqs)),
                    "auth_test_probes_excluded": probes,
                    "last_call_after_ms": ms(max(r.end for r in reqs) - sent) if reqs else 0.0,
                }
            )
    typical = sorted(singles, key=lambda s: s["ready_ms"])[len(singles) // 2]
    return {
        "latency_s": args.latency,
        "singles": singles,
        "ready_ms_median": statistics.median(s["ready_ms"] for s in singles),
        "ack_ms_median": statistics.median(s["ack_ms"] for s in singles),
        "round_trips": typical["round_trips"],
        "api_round_trips": typical["api_round_trips"],
        "waves": typical["waves"],
        "wave_times_ms": typical["wave_times_ms"],
        "calls": typical["calls"],
        "calls_by_title": {s["title"]: s["calls"] for s in singles},
        "ready_over_latency": typical["ready_ms"] / ms(args.latency) if args.latency else None,
    }


async def declare_bounded(
    fake: TimedFake, bot: BotProc, declarer: Declarer, n: int, concurrency: int, phase: int
) -> dict[str, Any]:
    """n declarations, at most `concurrency` in flight (POST sent → card pinned)."""
    url = f"http://127.0.0.1:{bot.port}/slack/events"
    slots = asyncio.Semaphore(concurrency)
    acks: list[float] = []
    statuses: Counter[int] = Counter()
    first_sent: list[float] = []
    pins: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency + 5)

    async def one(http: aiohttp.ClientSession) -> None:
        async with slots:
            request = declarer.request(phase)
            waiter = fake.waiter(request[0])
            sent, answered, status = await post_one(http, url, request)
            first_sent.append(sent)
            acks.append(answered - sent)
            statuses[status] += 1
            pins.append(await asyncio.wait_for(waiter, 60))

    cpu_bot, cpu_own = cpu_seconds(bot.pid), own_cpu_seconds()
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(one(http) for _ in range(n)))
    start, end = min(first_sent), max(pins)
    cpu_bot, cpu_own = cpu_seconds(bot.pid) - cpu_bot, own_cpu_seconds() - cpu_own
    return {
        "n": n,
        "concurrency": concurrency,
        "seconds": end - start,
        "setups_per_s": n / (end - start),
        "ack": latency_stats(acks),
        "statuses": {str(k): v for k, v in statuses.items()},
        "bot_cpu_ms_per_declaration": ms(cpu_bot / n),
        "bench_cpu_ms_per_declaration": ms(cpu_own / n),
    }


async def phase_throughput(
    fake: TimedFake, bot: BotProc, declarer: Declarer, args: argparse.Namespace
) -> dict[str, Any]:
    # Warm-up (not counted): the identity cache and the connection pools.
    warm = [declarer.request(3) for _ in range(3)]
    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{bot.port}/slack/events"
        for request in warm:
            await post_one(http, url, request)
    await wait_pinned(fake, [t for t, _, _ in warm], timeout=30)
    await fake.quiet(0.3)
    result = await declare_bounded(fake, bot, declarer, args.count, args.concurrency, 3)
    result["open_incidents_before"] = len(warm)
    return result


async def phase_rss(
    fake: TimedFake, bot: BotProc, declarer: Declarer, args: argparse.Namespace, baseline: dict
) -> dict[str, Any]:
    open_now = declarer.count
    more = max(0, args.rss_incidents - open_now)
    run = await declare_bounded(fake, bot, declarer, more, args.concurrency, 4) if more else {}
    await fake.quiet(1.0, timeout=30)
    await asyncio.sleep(1.0)
    memory = bot.memory()
    pinned = len(fake.pinned_at)
    return {
        "open_incidents": declarer.count,
        "cards_pinned_in_fake": pinned,
        "baseline_rss_mb": baseline.get("VmRSS", 0) / 1024,
        "rss_mb": memory.get("VmRSS", 0) / 1024,
        "hwm_mb": memory.get("VmHWM", 0) / 1024,
        "added": more,
        "added_seconds": run.get("seconds"),
        "added_setups_per_s": run.get("setups_per_s"),
        "added_ack": run.get("ack"),
    }


def integrity(fake: TimedFake, tokens: int) -> dict[str, Any]:
    """Each declaration once: channels, cards pinned and announcements per declaration."""
    channels: Counter[str] = Counter()
    for channel in fake.channels.values():
        found = TOKEN_RE.search(channel.name)
        if found:
            channels[found[0]] += 1
    announced: Counter[str] = Counter()
    for message in fake.messages("incidents"):
        found = TOKEN_RE.search(message.text)
        if found:
            announced[found[0]] += 1
    pins = [len(fake.channels[cid].pins) for cid in fake.token_channel.values()]
    return {
        "declared": tokens,
        "channels": len(channels),
        "max_channels_per_declaration": max(channels.values(), default=0),
        "announced": len(announced),
        "max_announcements_per_declaration": max(announced.values(), default=0),
        "max_pins_per_channel": max(pins, default=0),
    }


# ---- orchestration ------------------------------------------------------------------------


async def start_bot(fake: TimedFake, url: str, workdir: Path, name: str) -> BotProc:
    bot = BotProc(fake, url, "default", workdir / f"{name}.log", log_level="INFO")
    await bot.start()
    return bot


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    phases = set(args.phases.split(","))
    results: dict[str, Any] = {"database": args.database}
    fake = TimedFake(latency=args.latency)
    async with AsyncExitStack() as stack:
        await fake.start()
        stack.push_async_callback(fake.stop)
        declarer = Declarer(fake)
        if phases & {"ack", "ready"}:
            (workdir / "latency").mkdir()
            url = await stack.enter_async_context(
                fresh_database(args.database, workdir / "latency")
            )
            bot = await start_bot(fake, url, workdir, "bot-latency")
            try:
                results["startup_rss_mb"] = bot.memory().get("VmRSS", 0) / 1024
                if "ack" in phases:
                    results["ack"] = await phase_ack(fake, bot, declarer, args)
                if "ready" in phases:
                    results["ready"] = await phase_ready(fake, bot, declarer, args)
                results["latency_bot_errors"] = errors_in(bot)
            finally:
                await bot.stop()
                bot.kill()
        total_declared = declarer.count
        if phases & {"throughput", "rss"}:
            fake.latency = 0.0
            declarer.count = 0
            (workdir / "load").mkdir()
            url = await stack.enter_async_context(fresh_database(args.database, workdir / "load"))
            bot = await start_bot(fake, url, workdir, "bot-load")
            try:
                await asyncio.sleep(0.5)
                baseline = bot.memory()
                if "throughput" in phases:
                    results["throughput"] = await phase_throughput(fake, bot, declarer, args)
                if "rss" in phases:
                    results["rss"] = await phase_rss(fake, bot, declarer, args, baseline)
                results["load_bot_errors"] = errors_in(bot)
            finally:
                await bot.stop()
                bot.kill()
        loaded = declarer.count if phases & {"throughput", "rss"} else 0
        results["integrity"] = integrity(fake, total_declared + loaded)
    return results


# Bolt's two start-up notes about our explicit client and authorize: expected, not a problem.
BOLT_STARTUP_NOTES = ("`token` will be unused", "`token` (or SLACK_BOT_TOKEN env variable)")
LOG_LINE = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) (\S+): ")


def errors_in(bot: BotProc) -> dict[str, Any]:
    """WARNING+ lines of the bot's log counted by level and logger, plus the first errors."""
    try:
        lines = bot.log.read_text(errors="replace").splitlines()
    except OSError:
        return {}
    found: Counter[str] = Counter()
    samples: list[str] = []
    for line in lines:
        if any(note in line for note in BOLT_STARTUP_NOTES):
            continue
        match = LOG_LINE.match(line)
        if match:
            found[f"{match[1]} {match[2].rstrip(':')}"] += 1
            if match[1] != "WARNING" and len(samples) < 3:
                samples.append(line[:300])
        elif line.startswith("Traceback"):
            found["Traceback"] += 1
    return {**found, **({"first_errors": samples} if samples else {})}


def bot_code() -> dict[str, Any]:
    """The commit measured, and whether the bot's code differs from it (read-only git)."""

    def git(*argv: str) -> str:
        try:
            done = subprocess.run(
                ["git", *argv], cwd=ROOT, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "bot", "handlers", "storage", "playbooks")
    digest = hashlib.sha256()
    for folder in ("bot", "handlers", "storage", "playbooks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted": [line.strip() for line in dirty.splitlines()],
        "source_sha256": digest.hexdigest()[:12],
    }


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("yes" if ok else "**no**")


def table(results: dict[str, Any], args: argparse.Namespace) -> str:
    rows: list[list[str]] = []
    lat = f"{ms(args.latency):.0f} ms"
    if "ack" in results:
        ack = results["ack"]
        a, w = ack["all"], ack["warm"]
        rows.append(
            [
                f"ack p50 / p99 / max, {args.rounds}×{args.burst} concurrent, {lat} latency",
                f"{fmt(a['p50_ms'], 1)} / {fmt(a['p99_ms'], 1)} / {fmt(a['max_ms'], 1)} ms",
                "p99 ≤ 100 ms",
                verdict(a["p99_ms"] <= TARGET_ACK_P99_MS),
            ]
        )
        for r in ack["rounds"]:
            rows.append(
                [
                    f"  round {r['round']}{' (cold bot)' if r['cold'] else ''}: p50 / p99 / max;"
                    " auth.test calls before the last ack; all pinned after",
                    f"{fmt(r['p50_ms'], 1)} / {fmt(r['p99_ms'], 1)} / {fmt(r['max_ms'], 1)} ms;"
                    f" {r['auth_test_calls_before_last_ack']}; {fmt(r['all_pinned_after_s'], 2)} s",
                    "",
                    "",
                ]
            )
        if args.rounds > 1:
            rows.append(
                [
                    "  warm rounds only: p50 / p99 / max",
                    f"{fmt(w['p50_ms'], 1)} / {fmt(w['p99_ms'], 1)} / {fmt(w['max_ms'], 1)} ms",
                    "p99 ≤ 100 ms",
                    verdict(w["p99_ms"] <= TARGET_ACK_P99_MS),
                ]
            )
    if "ready" in results:
        ready = results["ready"]
        rows.append(
            [
                f"declare → card pinned: sequential round trips ({lat})",
                f"{ready['round_trips']} ({ready['api_round_trips']} Web API): "
                + " → ".join("[" + ", ".join(w) + "]" for w in ready["waves"]),
                "≤ 4",
                verdict(ready["round_trips"] <= TARGET_ROUND_TRIPS),
            ]
        )
        rows.append(
            [
                f"declare → card pinned: wall time, median of {args.singles} ({lat})",
                f"{fmt(ready['ready_ms_median'], 0)} ms (ack {fmt(ready['ack_ms_median'], 1)} ms)",
                f"(4 round trips = {TARGET_ROUND_TRIPS * ms(args.latency):.0f} ms of latency)",
                "–",
            ]
        )
        for title, calls in sorted(ready["calls_by_title"].items()):
            rows.append(
                [
                    f"Slack calls for one declaration, title “{title}”",
                    ", ".join(f"{k} ×{v}" for k, v in sorted(calls.items())),
                    "–",
                    "–",
                ]
            )
    if "throughput" in results:
        t = results["throughput"]
        rows.append(
            [
                f"throughput, N={t['n']}, {t['concurrency']} in flight, 0 ms latency",
                f"{fmt(t['setups_per_s'], 1)} setups/s ({fmt(t['seconds'], 2)} s;"
                f" ack p99 {fmt(t['ack']['p99_ms'], 1)} ms)",
                "≥ 50/s",
                verdict(t["setups_per_s"] >= TARGET_SETUPS_PER_S),
            ]
        )
        rows.append(
            [
                "  CPU per declaration: bot process / bench process (fake Slack + client)",
                f"{fmt(t['bot_cpu_ms_per_declaration'], 1)} ms /"
                f" {fmt(t['bench_cpu_ms_per_declaration'], 1)} ms",
                "",
                "",
            ]
        )
    if "rss" in results:
        r = results["rss"]
        rows.append(
            [
                f"bot RSS with {r['open_incidents']} open incidents (VmRSS / VmHWM)",
                f"{fmt(r['rss_mb'], 1)} / {fmt(r['hwm_mb'], 1)} MB"
                f" (idle after start {fmt(r['baseline_rss_mb'], 1)} MB)",
                "≤ 150 MB",
                verdict(r["hwm_mb"] <= TARGET_RSS_MB),
            ]
        )
        if r.get("added_setups_per_s"):
            rows.append(
                [
                    f"  declaring the last {r['added']} (toward {r['open_incidents']} open)",
                    f"{fmt(r['added_setups_per_s'], 1)} setups/s"
                    f" (ack p99 {fmt(r['added_ack']['p99_ms'], 1)} ms)",
                    "",
                    "",
                ]
            )
    if "integrity" in results:
        i = results["integrity"]
        once = (
            i["channels"] == i["declared"] == i["announced"]
            and i["max_channels_per_declaration"] == 1
            and i["max_announcements_per_declaration"] == 1
            and i["max_pins_per_channel"] == 1
        )
        rows.append(
            [
                "every declaration once: channels / announcements / max pins per channel",
                f"{i['channels']} / {i['announced']} of {i['declared']};"
                f" {i['max_pins_per_channel']}",
                "each once",
                verdict(once),
            ]
        )
    return markdown_table(["measure", "result", "target", "met"], rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.declarations", description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per fake Slack call")
    parser.add_argument("--concurrency", type=int, default=20, help="in flight, throughput/rss")
    parser.add_argument("--count", type=int, default=200, help="declarations for throughput")
    parser.add_argument("--rounds", type=int, default=3, help="ack rounds")
    parser.add_argument("--burst", type=int, default=50, help="concurrent POSTs per ack round")
    parser.add_argument("--singles", type=int, default=5, help="single declarations measured")
    parser.add_argument("--rss-incidents", type=int, default=1000, help="open incidents for RSS")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--phases", default=",".join(PHASES), help="subset of " + ",".join(PHASES))
    parser.add_argument("--keep-logs", default="", help="copy the bot logs to this folder")
    parser.add_argument("--deadline", type=float, default=175.0, help="cap on the whole run (s)")
    args = parser.parse_args(argv)
    unknown = set(args.phases.split(",")) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {sorted(unknown)}")
    return args


async def amain(args: argparse.Namespace) -> int:
    code = bot_code()
    with tempfile.TemporaryDirectory(prefix="bench-decl-") as tmp:
        workdir = Path(tmp)
        try:
            results = await asyncio.wait_for(run(args, workdir), args.deadline)
        except Skip as reason:
            print(f"skipped: {reason}")
            return 0
        except TimeoutError:
            print(f"bench.declarations: did not finish within --deadline {args.deadline}s")
            return 1
        finally:
            if args.keep_logs:
                keep = Path(args.keep_logs)
                keep.mkdir(parents=True, exist_ok=True)
                for log in workdir.glob("*.log"):
                    shutil.copy(log, keep / log.name)
    results["machine"] = machine()
    results["bot_code"] = code
    if bot_code()["source_sha256"] != code["source_sha256"]:
        results["bot_code"]["changed_during_run"] = True
        print("WARNING: the bot's code changed while this ran; the figures may mix versions")
    results["options"] = vars(args)
    print(
        f"## Declarations ({args.database}; nproc {results['machine']['nproc']}, "
        f"Python {results['machine']['python']}, load {results['machine']['load_avg_1m']})\n"
    )
    changed = code["uncommitted"]
    print(
        f"Bot code: commit {code['commit'] or '?'}, sources {code['source_sha256']}"
        + (f", with uncommitted changes: {'; '.join(changed)}" if changed else ", clean")
        + "\n"
    )
    print(table(results, args))
    print()
    for key in ("latency_bot_errors", "load_bot_errors"):
        if results.get(key):
            print(f"bot log, {key.split('_')[0]} bot: " + json.dumps(results[key]))
    print(json_line({"bench": "declarations", **results}))
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(amain(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
