"""Reminder firing under steady load: lateness, duplicates and memory of the real timer path.

    PYTHONPATH=. .venv/bin/python -m bench.reminders [--incidents 1000] [--cadence 5]
        [--duration 30] [--latency 0.0] [--replicas 1] [--database sqlite|postgres]

N open sev1 incidents are declared through `bot.services.declare.declare_incident` (so their
timer rows come from the real planning code) with a pack whose only clock is the internal
update reminder every `--cadence` seconds. Each incident gets a channel in the fake Slack
(set directly with `storage.repo.save_setup`, skipping the Slack setup). The first due times
are then spread uniformly over one cadence, so the load is a steady N/cadence firings per
second, and the real firing path runs for `--duration` seconds: `TimerLoop` in this process
(`--replicas 1`) or that many `python -m bot` processes on the same database.

Lateness is `event.at - data["due"]` of every `reminder_sent` event (when the firing was
recorded, as the brief defines it) and, separately, the time the fake Slack received the
matching chat.postMessage minus the due time (what a user would see).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

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
from bot.deps import Deps
from bot.domain.timers import TimerKind, timer_id
from bot.scheduler import TimerLoop
from bot.server import build_deps
from bot.services.declare import Declaration, declare_incident
from sandbox.slack import FakeSlack
from storage import repo, timers
from storage.models import Event, Timer
from tests.harness import make_settings

log = logging.getLogger("bench.reminders")
SETUP_DONE = "announced,card,invited,pinned,topic"

PACK_TEMPLATE = """\
# Written by bench/reminders.py: the only clock is the internal update reminder.
id: bench
title: Reminder benchmark pack
severities:
  - id: sev1
    name: SEV-1
    description: Benchmark severity with an internal update cadence only.
    updates: {{internal: {cadence}s}}
roles:
  - id: commander
    name: Incident Commander
    description: Runs the incident.
    single: true
playbooks: []
comms:
  template: We are looking into it.
incident_log: [Incident ID, Timeline]
"""


def problem_key(level: str, logger: str, message: str) -> str:
    """A log line reduced to what kind of problem it is (numbers and times blanked)."""
    return f"{level} {logger}: {re.sub(r'[0-9]+', '#', message)[:90]}"


def log_problems(lines: Iterable[str]) -> dict[str, int]:
    """WARNING+ lines of bot logs (`%(asctime)s %(levelname)s %(name)s: %(message)s`), by kind."""
    counts: Counter[str] = Counter()
    for line in lines:
        found = re.match(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) (\S+): (.*)$", line)
        if found:
            counts[problem_key(*found.groups())] += 1
    return dict(counts.most_common(8))


class ErrorCounter(logging.Handler):
    """Counts WARNING+ records logged in this process (the bot's and APScheduler's), by kind."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[problem_key(record.levelname, record.name, record.getMessage())] += 1


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--cadence", type=int, default=5, help="internal update cadence, s")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of firing")
    parser.add_argument("--latency", type=float, default=0.0, help="fake Slack latency, s")
    parser.add_argument("--replicas", type=int, default=1, help="1: in-process; >1: processes")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--process",
        action="store_true",
        help="run even a single replica as a `python -m bot` process (default: in-process)",
    )
    args = parser.parse_args(argv)
    if args.incidents < 1 or args.cadence < 1 or args.replicas < 1:
        parser.error("--incidents, --cadence and --replicas must be at least 1")
    if not 0 < args.duration <= 150:
        parser.error("--duration must be in (0, 150] seconds so a run stays bounded")
    return args


async def seed(rt: Deps, fake: FakeSlack, count: int) -> list[tuple[str, str]]:
    """Declare `count` sev1 incidents the real way; give each a ready channel in the fake."""
    seeded: list[tuple[str, str]] = []
    for number in range(count):
        incident = await declare_incident(
            Declaration(title=f"Benchmark incident {number}", severity="sev1", declarer="U_ALICE"),
            db=rt.db,
            pack=rt.pack,
            clock=rt.clock,
            replica=rt.replica,
        )
        channel = fake.add_channel(f"inc-bench-{number:05d}")
        async with rt.db.transaction() as session:
            await repo.save_setup(
                session=session,
                incident=incident,
                channel_id=channel.id,
                channel_name=channel.name,
                setup_state="ready",
                setup_done=SETUP_DONE,
            )
        seeded.append((incident.id, channel.id))
    return seeded


async def plan_due(rt: Deps, incidents: list[str], dues: list[datetime]) -> None:
    """Move each incident's internal reminder to its due time, in one transaction."""
    async with rt.db.session() as session:
        for incident, due in zip(incidents, dues, strict=True):
            await timers.set_due(
                session=session,
                timer=timer_id(incident, TimerKind.INTERNAL_UPDATE),
                incident=incident,
                kind=TimerKind.INTERNAL_UPDATE,
                due=due,
            )
        await session.commit()


async def timer_census(rt: Deps) -> dict[str, int]:
    """What the planning code created: timer rows by kind, and how many are armed."""
    async with rt.db.session() as session:
        rows = (await session.exec(select(Timer))).all()
    census: Counter[str] = Counter()
    for row in rows:
        census[f"{row.kind}{'' if row.due_at else ' (stopped)'}"] += 1
    return dict(census)


async def analyse(
    rt: Deps,
    fake: FakeSlack,
    seeded: list[tuple[str, str]],
    first_dues: list[datetime],
    cadence: float,
    stop_at: float,
) -> dict[str, Any]:
    """Count firings, lateness and duplicates from the timeline and from the fake."""
    async with rt.db.session() as session:
        events = (await session.exec(select(Event).where(col(Event.kind) == "reminder_sent"))).all()
        stop_dt = datetime.fromtimestamp(stop_at, UTC)
        backlog = (
            await session.exec(
                select(func.count())
                .select_from(Timer)
                .where(col(Timer.due_at).is_not(None), col(Timer.due_at) <= stop_dt)
            )
        ).one()
        fired_total = (await session.exec(select(func.sum(Timer.fired)))).one() or 0
    # What a perfect scheduler would have fired by the time we stopped.
    expected = sum(
        int((stop_at - due.timestamp()) // cadence) + 1
        for due in first_dues
        if due.timestamp() <= stop_at
    )
    recorded: list[float] = []
    per_incident: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    pairs: Counter[tuple[str, str]] = Counter()
    for event in events:
        due = datetime.fromisoformat(event.data["due"])
        recorded.append((event.at - due).total_seconds() * 1000)
        per_incident[event.incident_id].append((event.at, due))
        pairs[(event.incident_id, event.data["due"])] += 1
    db_duplicates = sum(1 for count in pairs.values() if count > 1)

    posts: dict[str, list[Any]] = defaultdict(list)
    failed_posts = 0
    for call in fake.calls_to("chat.postMessage"):
        if not call.ok:
            failed_posts += 1
            continue
        posts[str(call.args.get("channel"))].append(call)
    fake_duplicates = 0
    delivered: list[float] = []
    not_posted: list[float] = []  # recorded as sent, no chat.postMessage: seconds before stop
    not_recorded = 0  # posted without a recorded firing
    channel_of = dict(seeded)
    for channel_calls in posts.values():
        channel_calls.sort(key=lambda c: c.time)
        for before, after in zip(channel_calls, channel_calls[1:], strict=False):
            same = before.args.get("text") == after.args.get("text")
            if same and after.time - before.time < cadence / 2:
                fake_duplicates += 1
    for incident, firings in per_incident.items():
        firings.sort()
        calls = posts.get(channel_of.get(incident, ""), [])
        not_recorded += max(0, len(calls) - len(firings))
        for at, _ in firings[len(calls) :]:
            not_posted.append(round(stop_at - at.timestamp(), 3))
        for (_, due), call in zip(firings, calls, strict=False):
            delivered.append((call.time - due.timestamp()) * 1000)
    return {
        "firings": len(events),
        "expected_firings": expected,
        "timer_fired_sum": int(fired_total),
        "posts": sum(len(v) for v in posts.values()),
        "failed_posts": failed_posts,
        "recorded_not_posted": len(not_posted),
        "recorded_not_posted_s_before_stop": sorted(not_posted)[:10],
        "posted_not_recorded": not_recorded,
        "recorded_ms": {
            "p50": percentile(recorded, 50),
            "p99": percentile(recorded, 99),
            "max": max(recorded, default=float("nan")),
        },
        "delivered_ms": {
            "p50": percentile(delivered, 50),
            "p99": percentile(delivered, 99),
            "max": max(delivered, default=float("nan")),
        },
        "over_1s": sum(1 for v in recorded if v > 1000),
        "db_duplicates": db_duplicates,
        "fake_duplicates": fake_duplicates,
        "backlog_at_stop": int(backlog),
    }


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    counter = ErrorCounter()
    logging.getLogger().addHandler(counter)
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp:
        workdir = Path(tmp)
        pack = workdir / "bench-pack.yml"
        pack.write_text(PACK_TEMPLATE.format(cadence=args.cadence))
        async with (
            FakeSlack(latency=args.latency) as fake,
            fresh_database(args.database, workdir) as url,
        ):
            settings = make_settings(fake, url, playbook_pack=str(pack), log_level="WARNING")
            rt = build_deps(settings)
            try:
                await rt.db.migrate()
                started = time.monotonic()
                seeded = await seed(rt, fake, args.incidents)
                seed_seconds = time.monotonic() - started
                census = await timer_census(rt)
                incidents = [incident for incident, _ in seeded]
                # Park every reminder while the bot(s) start; `spread` then sets the real dues.
                parked = datetime.now(UTC) + timedelta(days=1)
                await plan_due(rt, incidents, [parked] * len(incidents))
                step = timedelta(seconds=args.cadence) / len(incidents)
                first: list[datetime] = []
                window: dict[str, float] = {"t0": 0.0, "until": 0.0}

                async def spread() -> None:
                    """Once the firing side is up: first dues from t0 = now + 1 s, uniformly."""
                    t0 = datetime.now(UTC) + timedelta(seconds=1)
                    first[:] = [t0 + step * n for n in range(len(incidents))]
                    await plan_due(rt, incidents, first)
                    window["t0"] = t0.timestamp()
                    window["until"] = t0.timestamp() + args.duration

                async def sleep_until_end() -> None:
                    while time.time() < window["until"]:
                        await asyncio.sleep(min(0.5, max(0.0, window["until"] - time.time())))

                if args.replicas == 1 and not args.process:
                    outcome = await _in_process(rt, spread, sleep_until_end)
                else:
                    outcome = await _processes(
                        fake, url, pack, workdir, args.replicas, spread, sleep_until_end
                    )
                # Requests the bot already sent are still in the fake's latency sleep.
                await asyncio.sleep(args.latency + 0.5)
                results = await analyse(
                    rt, fake, seeded, first, float(args.cadence), outcome["stop_at"]
                )
            finally:
                await rt.db.dispose()
    results.update(
        {
            "bench": "reminders",
            "database": args.database,
            "replicas": args.replicas,
            "mode": "in-process" if args.replicas == 1 and not args.process else "processes",
            "incidents": args.incidents,
            "cadence_s": args.cadence,
            "duration_s": args.duration,
            "latency_s": args.latency,
            "seed_seconds": round(seed_seconds, 1),
            "timer_rows": census,
            "rss_peak_kib": outcome["rss_peak_kib"],
            "rss_note": outcome["rss_note"],
            "bench_log_problems": dict(counter.counts.most_common(8)),
            "bot_log_problems": outcome.get("bot_log_problems"),
            "bot_cpu_s": outcome.get("bot_cpu_s"),
            "bench_cpu_s": outcome["bench_cpu_s"],
            "ran_for_s": round(outcome["stop_at"] - window["t0"], 2),
            "machine": machine(),
        }
    )
    return results


async def _in_process(rt: Deps, spread: Any, sleep_until_end: Any) -> dict[str, Any]:
    loop = TimerLoop(rt)
    await loop.start()
    await spread()
    cpu_before = own_cpu()
    await sleep_until_end()
    stop_at = time.time()
    cpu = own_cpu() - cpu_before
    await loop.stop()
    return {
        "stop_at": stop_at,
        "bench_cpu_s": round(cpu, 1),
        "rss_peak_kib": [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss],
        "rss_note": "ru_maxrss of the benchmark process (bot + fake Slack + seeding)",
    }


async def _processes(
    fake: FakeSlack,
    url: str,
    pack: Path,
    workdir: Path,
    replicas: int,
    spread: Any,
    sleep_until_end: Any,
) -> dict[str, Any]:
    procs = [BotProc(fake, url, str(pack), workdir / f"bot{n}.log") for n in range(replicas)]
    try:
        await asyncio.gather(*(p.start() for p in procs))
        await spread()
        cpu_before = [p.cpu() for p in procs], own_cpu()
        await sleep_until_end()
        stop_at = time.time()
        memory = [p.memory() for p in procs]
        cpu = [round(p.cpu() - b, 1) for p, b in zip(procs, cpu_before[0], strict=True)]
        own = own_cpu() - cpu_before[1]
        await asyncio.gather(*(p.stop() for p in procs))
        problems = log_problems(line for p in procs for line in p.tail(10**8).splitlines())
        return {
            "stop_at": stop_at,
            "rss_peak_kib": [m.get("VmHWM", 0) for m in memory],
            "rss_note": "VmHWM of each bot process, read before stopping it",
            "bot_cpu_s": cpu,
            "bench_cpu_s": round(own, 1),
            "bot_log_problems": problems,
        }
    finally:
        for proc in procs:
            proc.kill()


def own_cpu() -> float:
    """CPU seconds this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(r: dict[str, Any]) -> str:
    rec, dlv = r["recorded_ms"], r["delivered_ms"]
    rss = "+".join(fmt(k / 1024, 0) for k in r["rss_peak_kib"])
    headers = [
        "db",
        "bot",
        "incidents",
        "cadence",
        "latency",
        "firings / expected",
        "recorded late p50/p99/max ms",
        "posted late p50/p99/max ms",
        ">1 s late",
        "dup (db)",
        "dup (fake)",
        "recorded, not posted",
        "backlog at stop",
        "peak RSS MiB",
    ]
    row = [
        r["database"],
        "in-process" if r["mode"] == "in-process" else f"{r['replicas']} process(es)",
        r["incidents"],
        f"{r['cadence_s']} s",
        f"{r['latency_s']} s",
        f"{r['firings']} / {r['expected_firings']}",
        f"{fmt(rec['p50'])} / {fmt(rec['p99'])} / {fmt(rec['max'])}",
        f"{fmt(dlv['p50'])} / {fmt(dlv['p99'])} / {fmt(dlv['max'])}",
        r["over_1s"],
        r["db_duplicates"],
        r["fake_duplicates"],
        r["recorded_not_posted"],
        r["backlog_at_stop"],
        rss,
    ]
    return markdown_table(headers, [row])


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    # Bot and APScheduler problems are counted (see ErrorCounter); only errors are printed.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.ERROR)
    try:
        results = asyncio.run(bench(args))
    except Skip as skip:
        print(f"SKIPPED: {skip}")
        print(json_line({"bench": "reminders", "database": args.database, "skipped": str(skip)}))
        return 0
    print(report(results))
    print()
    print(json_line(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
