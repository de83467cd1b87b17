"""Alert storms: many Alertmanager alerts in a few seconds, against Slack's rate tiers.

    PYTHONPATH=. .venv/bin/python -m bench.alerts [--alerts 500] [--seconds 10]
        [--services 5] [--database sqlite|postgres] [--spent 0] [--deadline 180]
        [--keep-logs DIR]

The bot runs as a real `python -m bot` process in HTTP mode (bench.common.BotProc) with
`PLAYBOOK_PACK=prod-100k` (P0 declares at once, alerts grouped by label `service`, window
10m), `ALERT_TOKENS`, `ALERT_COMMANDER=U_ALICE` and `SLACK_PACING=true` (the production
default), against the fake Slack of sandbox/slack served from this process with its tier
limits enforced on the real clock (bot.rate_limits: 20 a minute for conversations.create,
setTopic and pins.add, 50 for tier 3, 5 posts per 5 s per channel) and answering 429 with
Retry-After over them. `--spent N` lets "another app" spend N of each tier 2 method's
calls of the current minute in the fake before the storm, so the bot meets 429s it did not
cause (its own pacer cannot know about them).

The storm: `--alerts` POSTs to /alerts/alertmanager, evenly paced over `--seconds`, each one
Alertmanager v4 body (`groupKey` of its service, `status: firing`) with one alert (labels
`alertname`, `service`, `metric: payment_success_rate`; annotations `summary`,
`value: "93.1%"`, `for: "10m"`, which the pack's rule turns into P0; a unique
`fingerprint`; `startsAt`), the i-th alert for service i mod `--services`. They are sent by
a separate process (bench/decl_client.py, one connection each) so their timing is not
delayed by the fake Slack on this process's event loop; latency = POST sent → answer read.

Then the bench polls the bot's database (every 0.1 s, read-only) until every incident's
setup is `ready` and every alert row is `routed`, at most until `--deadline`, waits 2 s
more for late traffic, and counts:
- incidents created, and incidents per group (from `alert.group_key` → `alert.incident_id`);
  target one per service;
- alerts lost (a fingerprint answered 202 with no `alert` row) and duplicated (a fingerprint
  with more than one row); target 0;
- the time from the first alert sent until every channel is ready (database) and until
  the last card was pinned (the fake's `pins.add`);
- 429s the fake gave, and how many were honoured: the same call (same arguments; else the
  same method and channel) was made again no earlier than its Retry-After and succeeded,
  with no call to the same budget in between;
- Web API calls by method, posts by channel, and posts the bot dropped because their
  incident had no channel yet (its log's "dropped: its incident has no channel").

Prints a Markdown table (figures vs targets) and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlmodel import select

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
from bench.declarations import bot_code, errors_in, verdict
from bot.rate_limits import POST_MESSAGE, TIER_BUDGETS, TIERS
from sandbox.slack import FakeSlack
from sandbox.slack.models import Call
from storage.db import Database
from storage.models import Alert, Incident

ROOT = Path(__file__).resolve().parents[1]
TARGET_INTAKE_P99_MS = 50.0
COMMANDER = "U_ALICE"  # a seeded user of the fake, as bench.declarations uses
SENDER = "bench"
SERVICES = ("payments", "checkout", "search", "login", "ledger", "shipping", "catalog")
TIER2_SETUP = ("conversations.create", "conversations.setTopic", "pins.add")
POLL_S = 0.1
SETTLE_S = 2.0
EARLY_TOLERANCE_S = 0.05
DROPPED = "dropped: its incident has no channel"  # bot.services.outbox, at INFO


# ---- the fake Slack, enforcing tiers, remembering each 429's Retry-After ------------------


class StormFake(FakeSlack):
    """FakeSlack enforcing Slack's tiers on the real clock; notes every 429's Retry-After."""

    def __init__(self) -> None:
        super().__init__(rate_limits=True)
        self.retry_after: dict[int, float] = {}  # index in self.calls -> Retry-After seconds

    def web_app(self) -> web.Application:
        app = super().web_app()
        app.middlewares.append(self._note_retry_after)
        return app

    @web.middleware
    async def _note_retry_after(self, request: web.Request, handler: Callable[..., Any]) -> Any:
        response = await handler(request)
        # handle_api appends the call and returns without awaiting in between (429s carry no
        # injected fault), so the last call is this request's.
        if response.status == 429 and self.calls and self.calls[-1].status == 429:
            self.retry_after[len(self.calls) - 1] = float(response.headers.get("Retry-After", 0))
        return response

    def spend(self, method: str, calls: int) -> int:
        """Another app on the workspace spends `calls` of `method`'s current budget."""
        return sum(self.take_tier_limit(method, None) is None for _ in range(calls))


# ---- the storm -----------------------------------------------------------------------------


def service_names(count: int) -> list[str]:
    return [SERVICES[i] if i < len(SERVICES) else f"service-{i + 1}" for i in range(count)]


def alertmanager_body(service: str, fingerprint: str, starts_at: datetime) -> dict[str, Any]:
    """One Alertmanager v4 webhook body carrying one firing alert."""
    return {
        "version": "4",
        "groupKey": f'{{}}:{{service="{service}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "incident-bot",
        "groupLabels": {"service": service},
        "commonLabels": {
            "alertname": "PaymentSuccessRateLow",
            "service": service,
            "metric": "payment_success_rate",
        },
        "commonAnnotations": {},
        "externalURL": "https://alertmanager.example.com",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "PaymentSuccessRateLow",
                    "service": service,
                    "metric": "payment_success_rate",
                },
                "annotations": {
                    "summary": f"Payment success rate of {service} is 93.1%",
                    "value": "93.1%",
                    "for": "10m",
                },
                "startsAt": starts_at.isoformat().replace("+00:00", "Z"),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "https://prometheus.example.com/graph?g0.expr=payment_success_rate",
                "fingerprint": fingerprint,
            }
        ],
    }


def storm(args: argparse.Namespace, token: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The client's requests (fingerprint as token, `at` offsets) and fingerprint → service."""
    services = service_names(args.services)
    run = secrets.token_hex(3)
    started = datetime.now(UTC) - timedelta(minutes=10)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    requests, service_of = [], {}
    for i in range(args.alerts):
        service = services[i % len(services)]
        fingerprint = f"{run}{i:05d}{service[:4]}"
        body = alertmanager_body(service, fingerprint, started + timedelta(seconds=i * 0.01))
        requests.append(
            {
                "token": fingerprint,
                "at": i * args.seconds / args.alerts,
                "body": json.dumps(body),
                "headers": headers,
            }
        )
        service_of[fingerprint] = service
    return requests, service_of


async def send(url: str, requests: list[dict[str, Any]], seconds: float) -> list[dict[str, Any]]:
    """Run bench/decl_client.py on the paced requests; its per-request results."""
    job = {"url": url, "timeout": 30, "requests": requests}
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
        out, err = await asyncio.wait_for(proc.communicate(json.dumps(job).encode()), seconds + 60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise RuntimeError(f"decl_client did not finish within {seconds + 60:.0f} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"decl_client failed: {err.decode()[-2000:]}")
    return json.loads(out)["results"]


# ---- reading the outcome -------------------------------------------------------------------


async def snapshot(db: Database) -> tuple[list[Any], list[Any]]:
    """(incidents: id, setup_state, channel_id), (alerts: fingerprint, group, state, incident)."""
    async with db.reader() as session:
        incidents = (
            await session.exec(select(Incident.id, Incident.setup_state, Incident.channel_id))
        ).all()
        alerts = (
            await session.exec(
                select(Alert.fingerprint, Alert.group_key, Alert.state, Alert.incident_id)
            )
        ).all()
    return list(incidents), list(alerts)


class Watcher:
    """Polls the bot's database from before the storm: when each incident first became
    ready, when all were ready and every alert routed (wall-clock times)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.ready_at: dict[str, float] = {}
        self.all_ready_at: float | None = None
        self.all_routed_at: float | None = None
        self.expected: int | None = None  # alerts answered 202, once the storm is sent
        self.done = asyncio.Event()
        self.polls = 0

    async def run(self) -> None:
        while True:
            try:
                incidents, alerts = await snapshot(self.db)
            except Exception:  # noqa: BLE001 - not readable for a moment: look again
                await asyncio.sleep(POLL_S)
                continue
            self.polls += 1
            now = time.time()
            for incident_id, state, _ in incidents:
                if state == "ready":
                    self.ready_at.setdefault(incident_id, now)
            all_ready = bool(incidents) and all(state == "ready" for _, state, _ in incidents)
            self.all_ready_at = (self.all_ready_at or now) if all_ready else None
            all_routed = (
                self.expected is not None
                and len(alerts) >= self.expected
                and all(a[2] == "routed" for a in alerts)
            )
            self.all_routed_at = (self.all_routed_at or now) if all_routed else None
            if all_ready and all_routed:
                self.done.set()
            await asyncio.sleep(POLL_S)

    def report(self, t0: float) -> dict[str, Any]:
        def since(at: float | None) -> float | None:
            return None if at is None else at - t0

        return {
            "met": self.done.is_set(),
            "all_ready_s": since(self.all_ready_at),
            "all_routed_s": since(self.all_routed_at),
            "ready_s_by_incident": {k: v - t0 for k, v in self.ready_at.items()},
            "polls": self.polls,
        }


def budget_key(call: Call) -> str:
    """The budget a call draws from: its method, and its channel for posts."""
    if call.method == POST_MESSAGE:
        return f"{call.method}:{call.args.get('channel', '')}"
    return call.method


def same_call(a: Call, b: Call) -> bool:
    """The same request: the same arguments, else the same method and channel / name."""
    if a.method != b.method:
        return False
    if a.args == b.args:
        return True
    ident = ("channel", "name", "timestamp", "ts")
    return all(a.args.get(k) == b.args.get(k) for k in ident) and any(a.args.get(k) for k in ident)


def rate_limits(fake: StormFake) -> dict[str, Any]:
    """Every 429 the fake gave, and whether the bot honoured it."""
    calls = fake.calls
    given = []
    for index, call in enumerate(calls):
        if call.status != 429:
            continue
        retry_after = fake.retry_after.get(index, float("nan"))
        later = [c for c in calls[index + 1 :] if budget_key(c) == budget_key(call)]
        # Calls to the same budget that started after this 429 was answered but before its
        # Retry-After ran out (calls already in flight at the 429 start within the tolerance).
        early = [
            c
            for c in later
            if call.time + EARLY_TOLERANCE_S < c.time < call.time + retry_after - EARLY_TOLERANCE_S
        ]
        retry = next((c for c in later if same_call(c, call) and c.ok), None)
        honoured = retry is not None and not early and retry.time >= call.time + retry_after
        given.append(
            {
                "method": call.method,
                "at": call.time,
                "retry_after_s": retry_after,
                "retried_after_s": retry.time - call.time if retry else None,
                "early_calls": len(early),
                "honoured": honoured,
            }
        )
    return {
        "given": len(given),
        "honoured": sum(g["honoured"] for g in given),
        "by_method": dict(Counter(g["method"] for g in given)),
        "details": given,
    }


def calls_by_method(calls: list[Call], since: float) -> dict[str, str]:
    """Web API calls after `since`, by method: `n` (and how many of them were 429)."""
    total: Counter[str] = Counter()
    limited: Counter[str] = Counter()
    for call in calls:
        if call.time >= since and call.method != "auth.test":
            total[call.method] += 1
            limited[call.method] += call.status == 429
    return {m: f"{n}" + (f" ({limited[m]}×429)" if limited[m] else "") for m, n in total.items()}


def posts_by_channel(fake: StormFake, since: float) -> dict[str, int]:
    """Successful chat.postMessage calls by channel (incident channels as one `inc-*`)."""
    out: Counter[str] = Counter()
    for call in fake.calls:
        if call.method == POST_MESSAGE and call.ok and call.time >= since:
            found = fake.resolve_channel(str(call.args.get("channel", "")))
            name = found.name if found else str(call.args.get("channel", ""))
            out["inc-*" if name.startswith("inc-") else name] += 1
    return dict(out)


def budget_floor(calls: list[Call], since: float) -> dict[str, Any]:
    """Per rate-limited method: calls made and the minimum minutes its tier budget needs."""
    out: dict[str, Any] = {}
    counts = Counter(c.method for c in calls if c.time >= since and c.status != 429)
    for method, n in counts.items():
        if method == POST_MESSAGE or method not in TIERS:
            continue
        budget = TIER_BUDGETS[TIERS[method]]
        out[method] = {
            "calls": n,
            "budget": f"{budget.calls}/{budget.seconds:.0f}s",
            "windows_needed": -(-n // budget.calls),
        }
    return out


# ---- orchestration -------------------------------------------------------------------------


async def stop_task(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    began = time.time()
    token = secrets.token_urlsafe(24)
    requests, service_of = storm(args, token)
    results: dict[str, Any] = {"database": args.database}
    fake = StormFake()
    async with AsyncExitStack() as stack:
        await fake.start()
        stack.push_async_callback(fake.stop)
        for name in ("alerts", "critical-alerts"):  # prod-100k's notify_channels
            fake.add_channel(name, members=list(fake.users))
        url = await stack.enter_async_context(fresh_database(args.database, workdir))
        bot = BotProc(fake, url, "prod-100k", workdir / "bot.log", log_level="INFO")
        bot.env.update(
            {
                "ALERT_TOKENS": f"{SENDER}:{token}",
                "ALERT_COMMANDER": COMMANDER,
                "SLACK_PACING": "true",
            }
        )
        stack.callback(bot.kill)
        stack.push_async_callback(bot.stop)
        db = Database(url)
        stack.push_async_callback(db.dispose)
        results["bot_start_s"] = await bot.start()
        await asyncio.sleep(1.0)  # the bot's start-up calls are behind it
        results["spent_by_other_app"] = {m: fake.spend(m, args.spent) for m in TIER2_SETUP}
        mark = len(fake.calls)
        cpu_before = bot.cpu()
        watcher = Watcher(db)
        watching = asyncio.create_task(watcher.run())
        stack.push_async_callback(stop_task, watching)
        answers = await send(
            f"http://127.0.0.1:{bot.port}/alerts/alertmanager", requests, args.seconds
        )
        t0 = min(a["sent"] for a in answers)
        t_last = max(a["sent"] for a in answers)
        accepted = {a["token"] for a in answers if a["status"] == 202}
        watcher.expected = len(accepted)
        left = max(5.0, began + args.deadline - time.time())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(watcher.done.wait(), left)
        await stop_task(watching)
        done = watcher.report(t0)
        await asyncio.sleep(SETTLE_S)  # anything late (a duplicate) would show now
        incidents, alerts = await snapshot(db)
        results["bot_cpu_s"] = bot.cpu() - cpu_before
        results["bot_memory_kib"] = bot.memory()
        results["bot_log"] = errors_in(bot)
        results["posts_dropped_no_channel"] = bot.tail(10_000_000).count(DROPPED)
        await bot.stop()
        if args.keep_logs:
            keep = Path(args.keep_logs)
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(bot.log, keep / f"bench-alerts-{args.database}.log")

    latencies = [a["latency"] * 1000 for a in answers]
    statuses = Counter(str(a["status"]) for a in answers)
    rows_per_fp = Counter(fp for fp, _, _, _ in alerts)
    incidents_per_service: dict[str, set[str]] = defaultdict(set)
    for fp, _, _, incident_id in alerts:
        if incident_id:
            incidents_per_service[service_of.get(fp, "?")].add(incident_id)
    channels = {cid: iid for iid, _, cid in incidents if cid}
    pins = [
        c.time - t0
        for c in fake.calls[mark:]
        if c.method == "pins.add" and c.ok and c.args.get("channel") in channels
    ]
    results.update(
        {
            "sent": len(answers),
            "send_window_s": t_last - t0,
            "statuses": dict(statuses),
            "intake_ms": {
                "p50": percentile(latencies, 50),
                "p99": percentile(latencies, 99),
                "max": max(latencies, default=float("nan")),
            },
            "incidents": len(incidents),
            "incidents_ready": sum(state == "ready" for _, state, _ in incidents),
            "incidents_per_service": {
                s: len(incidents_per_service.get(s, ())) for s in service_names(args.services)
            },
            "incident_channels_in_fake": sum(
                1 for c in fake.channels.values() if c.name.startswith("inc-")
            ),
            "alert_rows": len(alerts),
            "alerts_routed": sum(state == "routed" for _, _, state, _ in alerts),
            "alerts_lost": len(accepted - set(rows_per_fp)),
            "alerts_duplicated": sum(1 for n in rows_per_fp.values() if n > 1),
            "stored_not_accepted": len(set(rows_per_fp) - accepted),
            "done": done,
            "last_pin_s": max(pins, default=float("nan")),
            "pins": len(pins),
            "rate_limits": rate_limits(fake),
            "calls": calls_by_method(fake.calls, t0),
            "posts_by_channel": posts_by_channel(fake, t0),
            "tier_budgets": budget_floor(fake.calls, t0),
        }
    )
    return results


def table(r: dict[str, Any], args: argparse.Namespace) -> str:
    per = r["incidents_per_service"]
    lat = r["intake_ms"]
    done = r["done"]
    rl = r["rate_limits"]
    one_each = all(n == 1 for n in per.values()) and r["incidents"] == args.services
    other = ", ".join(f"{k} ×{v}" for k, v in r["statuses"].items() if k != "202")
    other = f" (other: {other})" if other else ""
    each = ", ".join(fmt(v, 2) for v in sorted(done["ready_s_by_incident"].values()))
    rows = [
        [
            f"alerts sent in {fmt(r['send_window_s'], 2)} s / answered 202",
            f"{r['sent']} / {r['statuses'].get('202', 0)}{other}",
            f"{args.alerts} / {args.alerts}",
            verdict(r["statuses"].get("202", 0) == args.alerts),
        ],
        [
            "intake latency p50 / p99 / max (POST sent → 202 read)",
            f"{fmt(lat['p50'], 1)} / {fmt(lat['p99'], 1)} / {fmt(lat['max'], 1)} ms",
            f"p99 ≤ {TARGET_INTAKE_P99_MS:.0f} ms",
            verdict(lat["p99"] <= TARGET_INTAKE_P99_MS),
        ],
        [
            "incidents created (per service)",
            f"{r['incidents']} ({', '.join(f'{s} {n}' for s, n in per.items())});"
            f" channels {r['incident_channels_in_fake']}, cards pinned {r['pins']}",
            f"{args.services} (1 per group)",
            verdict(one_each),
        ],
        [
            "first alert sent → every incident's channel ready (db; last card pinned)",
            f"{fmt(done['all_ready_s'], 2)} s ({fmt(r['last_pin_s'], 2)} s); per incident {each} s",
            f"bounded ({args.deadline:.0f} s)",
            verdict(done["all_ready_s"] is not None),
        ],
        [
            "first alert sent → every alert routed",
            f"{fmt(done['all_routed_s'], 2)} s ({r['alerts_routed']} of {r['alert_rows']} rows)",
            "–",
            "–",
        ],
        [
            "429s given by the fake / honoured (retried after Retry-After, then ok)",
            f"{rl['given']} / {rl['honoured']}"
            + (
                f" ({', '.join(f'{m} ×{n}' for m, n in rl['by_method'].items())})"
                if rl["by_method"]
                else ""
            ),
            "all honoured",
            verdict(rl["given"] == rl["honoured"]),
        ],
        [
            "alerts lost (202, no row) / duplicated (fingerprint in > 1 row)",
            f"{r['alerts_lost']} / {r['alerts_duplicated']}",
            "0 / 0",
            verdict(r["alerts_lost"] == 0 and r["alerts_duplicated"] == 0),
        ],
        [
            "posts dropped because their incident had no channel yet (bot log)",
            f"{r['posts_dropped_no_channel']}"
            f" (posts: {', '.join(f'{k} {n}' for k, n in sorted(r['posts_by_channel'].items()))})",
            "0",
            verdict(r["posts_dropped_no_channel"] == 0),
        ],
        [
            "Web API calls from the first alert on, by method",
            ", ".join(f"{m} {n}" for m, n in sorted(r["calls"].items())),
            "–",
            "–",
        ],
        [
            "bot CPU during the storm and until settled",
            f"{fmt(r['bot_cpu_s'], 2)} s",
            "–",
            "–",
        ],
    ]
    return markdown_table(["measure", "result", "target", "met"], rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.alerts", description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=500, help="alerts (one per POST)")
    parser.add_argument("--seconds", type=float, default=10.0, help="spread over this long")
    parser.add_argument("--services", type=int, default=5, help="services (= alert groups)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--spent",
        type=int,
        default=0,
        help="calls of each tier 2 setup method another app spent this minute (0..20)",
    )
    parser.add_argument("--deadline", type=float, default=180.0, help="cap on the whole run (s)")
    parser.add_argument("--keep-logs", default="", help="copy the bot log to this folder")
    args = parser.parse_args(argv)
    if args.alerts < 1 or args.services < 1 or args.seconds <= 0:
        parser.error("--alerts and --services must be ≥ 1 and --seconds > 0")
    if not 0 <= args.spent <= 20:
        parser.error("--spent must be within 0..20")
    return args


async def amain(args: argparse.Namespace) -> int:
    code = bot_code()
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp:
        try:
            results = await asyncio.wait_for(run(args, Path(tmp)), args.deadline + 30)
        except Skip as reason:
            print(f"SKIPPED: {reason}")
            return 0
        except TimeoutError:
            print(f"bench.alerts: did not finish within --deadline {args.deadline}s (+30)")
            return 1
    results["machine"] = machine()
    results["bot_code"] = code
    if bot_code()["source_sha256"] != code["source_sha256"]:
        results["bot_code"]["changed_during_run"] = True
        print("WARNING: the bot's code changed while this ran; the figures may mix versions")
    results["options"] = vars(args)
    m = results["machine"]
    print(
        f"## Alert storm ({args.alerts} alerts in {args.seconds:g} s from {args.services}"
        f" services; {args.database}; nproc {m['nproc']}, Python {m['python']},"
        f" load {m['load_avg_1m']})\n"
    )
    changed = code["uncommitted"]
    print(
        f"Bot code: commit {code['commit'] or '?'}, sources {code['source_sha256']}"
        + (f", with uncommitted changes: {'; '.join(changed)}" if changed else ", clean")
        + "\n"
    )
    print(table(results, args))
    print()
    floors = results["tier_budgets"]
    if floors:
        print(
            "Tier budgets: "
            + "; ".join(
                f"{meth} {f['calls']} calls at {f['budget']}" for meth, f in sorted(floors.items())
            )
        )
    if results.get("bot_log"):
        print("bot log WARNING+: " + json.dumps(results["bot_log"]))
    print(json_line({"bench": "alerts", **results}))
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(amain(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
