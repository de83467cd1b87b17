"""Cold start on a big database: health, overdue backlog and memory of `python -m bot`.

    PYTHONPATH=. .venv/bin/python -m bench.startup [--incidents 10000] [--open 1000]
        [--repeats 3]

A SQLite file is migrated with `storage.db.Database(url).migrate()` and filled with
`--incidents` incidents of the default pack, `--open` of them open and declared in the last
two hours, the rest resolved over the past year. Incidents, role holders and events are
bulk-inserted with SQLAlchemy core; the timers of open incidents are planned by the real
planning code (`bot.services.timers.plan_open_incident`, at the time of each incident's last
event), those of resolved incidents are written as the bot leaves them (stopped, fired).
Because the bot "was down" since then, many timers are overdue when it starts.

Each repeat copies that file, starts `python -m bot` (HTTP mode) against a fresh fake Slack
that has the open incidents' channels, and measures: seconds until `/healthz` first answers
200; seconds until no timer with `due_at <= start` is left (polled from the database); and
VmRSS / VmHWM once the backlog is done and the process has idled a few seconds. The median
of the repeats is reported; one extra run on an empty database gives the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import col, select

from bench.common import BotProc, fmt, json_line, machine, markdown_table
from bot.domain.naming import incident_id
from bot.domain.timers import TimerKind, threshold_key, timer_id
from bot.services.timers import plan_open_incident
from playbooks.loader import load_pack
from sandbox.slack import FakeSlack
from storage.db import Database
from storage.models import DaySequence, Event, Incident, RoleHolder, Timer

PACK = "default"
SEVERITIES = (("sev1", 0.15), ("sev2", 0.30), ("sev3", 0.35), ("sev4", 0.20))
USERS = ("U_ALICE", "U_BOB", "U_CAROL", "U_DAVE")
OPEN_STATUSES = ("investigating", "identified", "monitoring")
SETUP_DONE = "announced,card,invited,pinned,topic"
SETTLE_SECONDS = 3.0
BACKLOG_TIMEOUT = 120.0


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--open", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7, help="random seed for the data")
    args = parser.parse_args(argv)
    if not 0 <= args.open <= args.incidents or not 1 <= args.repeats <= 5:
        parser.error("need 0 <= --open <= --incidents and 1 <= --repeats <= 5")
    return args


class Seeder:
    """Builds the rows of a realistic incident history, then writes them in bulk."""

    def __init__(self, total: int, open_count: int, now: datetime, rnd: random.Random) -> None:
        self.total, self.open_count, self.now, self.rnd = total, open_count, now, rnd
        self.incidents: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.timers: list[dict[str, Any]] = []
        self.days: dict[str, int] = {}

    def severity(self) -> str:
        pick, acc = self.rnd.random(), 0.0
        for severity, share in SEVERITIES:
            acc += share
            if pick < acc:
                return severity
        return SEVERITIES[-1][0]

    def event(self, incident: str, at: datetime, kind: str, actor: str | None, **data: Any) -> None:
        text = str(data.pop("text", ""))
        self.events.append(
            {
                "incident_id": incident,
                "at": at,
                "actor": actor,
                "kind": kind,
                "text": text,
                "data": data,
            }
        )

    def build(self) -> None:
        declared = [
            self.now - timedelta(days=self.rnd.uniform(0.2, 365))
            for _ in range(self.total - self.open_count)
        ] + [self.now - timedelta(minutes=self.rnd.uniform(5, 120)) for _ in range(self.open_count)]
        declared.sort()
        open_from = self.total - self.open_count
        for number, at in enumerate(declared):
            self.incident(number, at, is_open=number >= open_from)

    def incident(self, number: int, declared_at: datetime, *, is_open: bool) -> None:
        rnd = self.rnd
        day = declared_at.date()
        seq = self.days[day.isoformat()] = self.days.get(day.isoformat(), 0) + 1
        ident = incident_id(day, seq)
        severity = self.severity()
        commander, declarer = rnd.choice(USERS), rnd.choice(USERS)
        title = f"Synthetic incident {number}: {rnd.choice(['checkout', 'login', 'search'])} slow"
        row: dict[str, Any] = {
            "id": ident,
            "day": day.isoformat(),
            "seq": seq,
            "title": title,
            "description": "Seeded by bench/startup.py. " * rnd.randint(1, 6),
            "severity": severity,
            "status": rnd.choice(OPEN_STATUSES) if is_open else "resolved",
            "commander_id": commander,
            "declared_by": declarer,
            "pack_id": PACK,
            "playbook_id": None,
            "declared_at": declared_at,
            "resolved_at": None,
            "summary": None,
            "channel_id": f"CS{number:06d}",
            "channel_name": f"inc-{day:%Y%m%d}-{seq:03d}-synthetic-{number}",
            "card_ts": f"{int(declared_at.timestamp())}.000100",
            "announcement_channel": "C_INCIDENTS",
            "announcement_ts": f"{int(declared_at.timestamp())}.000200",
            "setup_state": "ready",
            "setup_done": SETUP_DONE,
        }
        self.incidents.append(row)
        at = declared_at
        self.event(
            ident,
            at,
            "declared",
            declarer,
            text=title,
            severity=severity,
            commander=commander,
            description=row["description"],
        )
        horizon = self.now if is_open else declared_at + timedelta(hours=rnd.uniform(0.3, 48))
        if rnd.random() < 0.7:
            at += timedelta(minutes=rnd.uniform(0.5, 3))
            user = rnd.choice(USERS)
            self.roles.append(
                {
                    "incident_id": ident,
                    "role_id": "scribe",
                    "slot": "",
                    "user_id": user,
                    "assigned_at": at,
                }
            )
            self.event(
                ident,
                at,
                "role_assigned",
                commander,
                text=f"Scribe: <@{user}>",
                role="scribe",
                user=user,
                previous=None,
            )
        steps = rnd.randint(1, 3) if not is_open else rnd.randint(0, 2)
        for _ in range(steps):
            nxt = at + timedelta(minutes=rnd.uniform(2, 25))
            if nxt >= horizon:
                break
            at = nxt
            kind = rnd.choice(("update_posted", "note_added", "status_changed"))
            if kind == "status_changed":
                self.event(
                    ident,
                    at,
                    kind,
                    commander,
                    text="Investigating → Identified",
                    old="investigating",
                    new="identified",
                )
            else:
                self.event(ident, at, kind, rnd.choice(USERS), text="Looking at the dashboards")
        if is_open:
            return
        resolved_at = max(horizon, at + timedelta(minutes=1))
        row["resolved_at"], row["summary"] = resolved_at, "Rolled back"
        self.event(
            ident,
            resolved_at,
            "resolved",
            commander,
            text="Rolled back",
            old="identified",
            summary="Rolled back",
        )
        # Timers as the bot leaves them after resolving: stopped, some fired.
        reminders = rnd.randint(0, 3)
        for kind in (TimerKind.INTERNAL_UPDATE, TimerKind.CUSTOMER_UPDATE):
            if kind is TimerKind.CUSTOMER_UPDATE and severity not in ("sev1", "sev2"):
                continue
            self.timer(ident, kind, "", fired=reminders, last=resolved_at)
        for threshold in ("respond_within", "escalate_after", "resolve_within"):
            if severity in ("sev1", "sev2"):
                self.timer(
                    ident,
                    TimerKind.ESCALATION,
                    threshold_key(threshold, severity),
                    fired=int(rnd.random() < 0.2),
                    last=resolved_at,
                )
        retro = (resolved_at + timedelta(days=3)).isoformat()
        self.timer(ident, TimerKind.RETRO, retro, fired=1, last=resolved_at + timedelta(days=1))

    def timer(self, ident: str, kind: TimerKind, key: str, *, fired: int, last: datetime) -> None:
        self.timers.append(
            {
                "id": timer_id(ident, kind, key),
                "incident_id": ident,
                "kind": kind.value,
                "key": key,
                "due_at": None,
                "fired": fired,
                "last_fired_at": last if fired else None,
            }
        )


async def seed(url: str, total: int, open_count: int, seed_value: int) -> dict[str, Any]:
    """Migrate, bulk-insert the history, plan the open incidents' timers the real way."""
    now = datetime.now(UTC)
    seeder = Seeder(total, open_count, now, random.Random(seed_value))
    seeder.build()
    db = Database(url)
    try:
        await db.migrate()
        async with db.engine.begin() as conn:
            for table, rows in (
                (Incident.__table__, seeder.incidents),
                (RoleHolder.__table__, seeder.roles),
                (Event.__table__, seeder.events),
                (Timer.__table__, seeder.timers),
            ):
                for start in range(0, len(rows), 2000):  # nothing for an empty table
                    await conn.execute(insert(table), rows[start : start + 2000])
            days = [{"day": day, "last": last} for day, last in seeder.days.items()]
            if days:
                await conn.execute(insert(DaySequence.__table__), days)
        pack = load_pack(PACK)
        async with db.session() as session:
            open_incidents = (
                await session.exec(select(Incident).where(col(Incident.status) != "resolved"))
            ).all()
            for incident in open_incidents:
                last = (
                    await session.exec(
                        select(func.max(Event.at)).where(col(Event.incident_id) == incident.id)
                    )
                ).one()
                await plan_open_incident(session, pack, incident, last or incident.declared_at)
            await session.commit()
        census = await timer_census(db, now)
    finally:
        await db.dispose()
    return {
        "incidents": len(seeder.incidents),
        "open": sum(1 for row in seeder.incidents if row["status"] != "resolved"),
        "events": len(seeder.events),
        "open_channels": [
            row["channel_id"] for row in seeder.incidents if row["status"] != "resolved"
        ],
        **census,
    }


async def timer_census(db: Database, now: datetime) -> dict[str, Any]:
    """Timer rows, armed ones, and the armed ones already overdue at `now`, by kind."""
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(read_only=True)
        rows = (await conn.execute(select(Timer.kind, Timer.due_at))).all()
    armed = [(kind, due) for kind, due in rows if due is not None]
    overdue: dict[str, int] = {}
    for kind, due in armed:
        if due <= now:
            overdue[kind] = overdue.get(kind, 0) + 1
    return {"timer_rows": len(rows), "armed": len(armed), "overdue_by_kind": overdue}


async def overdue_count(db: Database, start: datetime) -> int:
    """Timers still due at or before `start` (read without a write lock)."""
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(read_only=True)
        result = await conn.execute(
            select(func.count())
            .select_from(Timer)
            .where(col(Timer.due_at).is_not(None), col(Timer.due_at) <= start)
        )
        return int(result.scalar_one())


def copy_database(template: Path, target: Path) -> None:
    """A consistent copy of a SQLite file (WAL included) through the backup API."""
    source, dest = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()


async def one_run(db_file: Path, channels: list[str], log: Path) -> dict[str, Any]:
    """Start the bot on `db_file`, wait for health and for the overdue backlog to drain."""
    url = f"sqlite:///{db_file}"
    monitor = Database(url)
    async with FakeSlack() as fake:
        for number, channel in enumerate(channels):
            fake.add_channel(f"inc-open-{number:05d}", channel_id=channel)
        start = datetime.now(UTC)
        overdue_at_start = await overdue_count(monitor, start)
        bot = BotProc(fake, url, PACK, log)
        bot.spawn()
        try:
            health = asyncio.create_task(bot.wait_healthy(timeout=BACKLOG_TIMEOUT))
            drained: float | None = None
            remaining = overdue_at_start
            while time.monotonic() - bot.started_at < BACKLOG_TIMEOUT:
                remaining = await overdue_count(monitor, start)
                if remaining == 0:
                    drained = time.monotonic() - bot.started_at
                    break
                if bot.proc is not None and bot.proc.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            healthy = await health
            await asyncio.sleep(SETTLE_SECONDS)
            memory = bot.memory()
            cpu = bot.cpu()
            posts = fake.calls_to("chat.postMessage")
            await bot.stop()
        finally:
            bot.kill()
            await monitor.dispose()
    return {
        "healthy_s": healthy,
        "backlog_s": drained,
        "overdue_at_start": overdue_at_start,
        "left_overdue": remaining,
        "posts": len(posts),
        "failed_posts": sum(1 for call in posts if not call.ok),
        "vmrss_kib": memory.get("VmRSS", 0),
        "vmhwm_kib": memory.get("VmHWM", 0),
        "cpu_s": round(cpu, 2),
        "log_tail": bot.tail(600) if drained is None else "",
    }


def _median(runs: list[dict[str, Any]], key: str) -> float:
    values = [run[key] for run in runs if run[key] is not None]
    return statistics.median(values) if len(values) == len(runs) else float("nan")


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        workdir = Path(tmp)
        template = workdir / "template.db"
        started = time.monotonic()
        seeded = await seed(f"sqlite:///{template}", args.incidents, args.open, args.seed)
        seed_seconds = time.monotonic() - started
        channels = seeded.pop("open_channels")
        runs = []
        for number in range(args.repeats):
            run_db = workdir / f"run{number}.db"
            copy_database(template, run_db)
            runs.append(await one_run(run_db, channels, workdir / f"run{number}.log"))
            run_db.unlink()
        empty = workdir / "empty.db"
        await seed(f"sqlite:///{empty}", 0, 0, args.seed)
        baseline = await one_run(empty, [], workdir / "empty.log")
        size_mib = template.stat().st_size / 2**20
    return {
        "bench": "startup",
        "database": "sqlite",
        "seed": {**seeded, "seconds": round(seed_seconds, 1), "file_mib": round(size_mib, 1)},
        "runs": runs,
        "median": {
            key: _median(runs, key)
            for key in (
                "healthy_s",
                "backlog_s",
                "overdue_at_start",
                "posts",
                "vmrss_kib",
                "vmhwm_kib",
                "cpu_s",
            )
        },
        "empty_database": baseline,
        "machine": machine(),
        "date": date.today().isoformat(),
    }


def report(r: dict[str, Any]) -> str:
    headers = [
        "database",
        "runs",
        "/healthz 200 after (s)",
        "overdue at start",
        "backlog drained after (s)",
        "reminders/escalations posted",
        "VmRSS after settling (MiB)",
        "VmHWM (MiB)",
    ]
    m, e, s = r["median"], r["empty_database"], r["seed"]
    rows = [
        [
            f"{s['incidents']} incidents ({s['open']} open), {s['events']} events, "
            f"{s['timer_rows']} timers, {s['file_mib']} MiB",
            f"median of {len(r['runs'])}",
            fmt(m["healthy_s"], 2),
            fmt(m["overdue_at_start"]),
            fmt(m["backlog_s"], 1),
            fmt(m["posts"]),
            fmt(m["vmrss_kib"] / 1024, 0),
            fmt(m["vmhwm_kib"] / 1024, 0),
        ],
        [
            "empty (migrated only)",
            "1",
            fmt(e["healthy_s"], 2),
            fmt(e["overdue_at_start"]),
            fmt(e["backlog_s"], 1) if e["overdue_at_start"] else "– (nothing due)",
            fmt(e["posts"]),
            fmt(e["vmrss_kib"] / 1024, 0),
            fmt(e["vmhwm_kib"] / 1024, 0),
        ],
    ]
    per_run = [
        f"run {n + 1}: healthy {fmt(run['healthy_s'], 2)} s, drained "
        f"{fmt(run['backlog_s'], 1) if run['backlog_s'] is not None else 'NOT within limit'} s, "
        f"VmHWM {fmt(run['vmhwm_kib'] / 1024, 0)} MiB"
        for n, run in enumerate(r["runs"])
    ]
    return markdown_table(headers, rows) + "\n\n" + "\n".join(per_run)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    results = asyncio.run(bench(args))
    print(report(results))
    print()
    print(json_line(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
