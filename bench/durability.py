"""Durability: does "acknowledged means kept" hold under kill -9 storms and database outages?

    PYTHONPATH=. .venv/bin/python -m bench.durability [--database sqlite|postgres]
        [--scenario kills|outage|both] [--count 200] [--in-flight 20] [--kills 5] [--seed 7]
        [--outage-count 50] [--outage-in-flight 10] [--outage-seconds 6] [--latency 0.02]

The bot commits every Slack request to its inbox before the ack, replays a delivery whose
handler died once its lease runs out (exactly once), and answers "Nothing was recorded"
when the database cannot take a request in time. This checks that end to end: a real
`python -m bot` (bench.common.BotProc) gets signed `/incident declare sev2 <title>` POSTs,
each title unique, against the fake Slack of sandbox/slack served from this process.

1. kills: `--count` declarations, `--in-flight` at a time; at `--kills` seeded random
   moments the bot gets SIGKILL and is started again at once. Requests in flight then
   fail ("no answer", not retried); new ones wait until the new process is healthy.
2. outage: `--outage-count` declarations over `--outage-spread` s while the database is
   away for `--outage-seconds` in the middle: a private PostgreSQL cluster stopped with
   `pg_ctl stop -m fast`, or the tmpfs holding the SQLite file filled to the last byte.

Once the bot has settled, every title is counted: the answer its sender got, incident rows,
channels, and cards, pins and announcements by their Slack message metadata. Targets: no
acknowledged declaration lost or duplicated, nobody told "not recorded" yet kept. Prints a
Markdown table per scenario and one JSON line; counts are exact, timings noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlmodel import select

from bench.common import BotProc, Skip, fmt, fresh_database, json_line, machine, markdown_table
from bench.declarations import bot_code, errors_in
from bot.intake import LEASE
from sandbox.slack import FakeSlack, sign_request, slash_command_form
from storage import inbox
from storage.db import Database
from storage.models import InboxItem, Incident
from tests.harness import SECRET, free_port

NOT_RECORDED = "Nothing was recorded"
WENT_WRONG = "Something went wrong"
USERS = ("U_ALICE", "U_BOB", "U_CAROL")
TOKEN = re.compile(r"dk\d{4}")
PARTS = ("incidents", "channels", "cards", "pinned", "announcements")
REQUEST_TIMEOUT = 10.0
RECORD_START = re.compile(r"^(\d{4}-\d\d-\d\d |=== )")
EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Exception|Handled)\b")


@dataclass
class Decl:
    """One declaration: its title, the answer its sender got, and where to look for it."""

    title: str
    token: str
    key: str = ""  # its inbox key, command:<trigger_id>
    response_url: str = ""
    answer: str = "unsent"  # acked | told | none | other | unsent
    detail: str = ""  # the HTTP status, or the connection error
    sent_at: float = math.nan  # monotonic
    sent_wall: float = math.nan  # time.time(), to find the bot's log lines
    latency: float = math.nan


@dataclass
class Traffic:
    sent: int = 0
    in_flight: int = 0
    open: asyncio.Event = field(default_factory=asyncio.Event)  # cleared while restarting


async def send_all(
    fake: FakeSlack, port: int, decls: list[Decl], in_flight: int, traffic: Traffic, pace: float
) -> None:
    """POST every declaration, at most `in_flight` at once and the i-th not before i·pace s."""
    url = f"http://127.0.0.1:{port}/slack/events"
    general = fake.channel_by_name("general").id  # type: ignore[union-attr]
    slots = asyncio.Semaphore(in_flight)
    t0 = time.monotonic()

    async def one(http: aiohttp.ClientSession, i: int, decl: Decl) -> None:
        await asyncio.sleep(max(0.0, t0 + i * pace - time.monotonic()))
        async with slots:
            while not traffic.open.is_set():
                await traffic.open.wait()
            text = f"declare sev2 {decl.title}"
            form = slash_command_form(fake, text=text, user_id=USERS[i % 3], channel_id=general)
            decl.key, decl.response_url = f"command:{form['trigger_id']}", form["response_url"]
            body = urlencode(form).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            traffic.sent += 1
            traffic.in_flight += 1
            decl.sent_at, decl.sent_wall = time.monotonic(), time.time()
            try:
                headers.update(sign_request(body, SECRET))
                async with http.post(url, data=body, headers=headers) as response:
                    answer = await response.text()
                told = NOT_RECORDED in answer
                decl.answer = "told" if told else "acked" if response.status == 200 else "other"
                decl.detail = str(response.status)
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                decl.answer, decl.detail = "none", type(error).__name__
            finally:
                traffic.in_flight -= 1
                decl.latency = time.monotonic() - decl.sent_at

    # A new connection per request, as Slack makes: no pooled socket outlives a killed bot.
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        await asyncio.gather(*(one(http, i, d) for i, d in enumerate(decls)))


def kill_points(count: int, in_flight: int, kills: int, seed: int) -> list[int]:
    """Seeded sent-counts to kill at, at least `in_flight` apart (a full load each time)."""
    room = count - kills * in_flight
    if kills <= 0 or room < kills:
        return []
    base = sorted(random.Random(seed).sample(range(room), kills))
    return [b + (n + 1) * in_flight for n, b in enumerate(base)]


def mark(bot: BotProc, text: str) -> None:
    """A line in the bot's log between two processes, to place the evidence in time."""
    with bot.log.open("a") as out:
        out.write(f"=== bench.durability: {text} ===\n")


async def kill_storm(
    bot: BotProc, at: list[int], traffic: Traffic, t0: float, done: list[dict[str, Any]]
) -> None:
    """kill -9 the bot when the sent count reaches each of `at`; restart it at once."""
    for index in at:
        while traffic.sent < index:
            await asyncio.sleep(0.005)
        traffic.open.clear()
        in_flight, killed = traffic.in_flight, time.monotonic()
        bot.kill()
        mark(bot, f"kill -9 #{len(done) + 1} after {traffic.sent} sent, {in_flight} in flight")
        await bot.start()
        restart_s = time.monotonic() - killed
        done.append({"sent": traffic.sent, "in_flight": in_flight, "at_s": killed - t0})
        done[-1]["restart_s"] = restart_s
        traffic.open.set()


# ---- taking the database away ---------------------------------------------------------------


class PrivatePostgres:
    """A throwaway cluster (trust auth) on a free port, run as the postgres OS user."""

    def __init__(self, bindir: Path, keep_log: Path) -> None:
        self.bindir, self.keep_log = bindir, keep_log
        self.root = Path(tempfile.mkdtemp(prefix="bench-durability-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, tool: str, *argv: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bindir / tool), *argv]
        done = subprocess.run(command, capture_output=True, text=True, timeout=90)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {argv[-1]}: {(done.stderr or done.stdout)[-600:]}")

    def init(self) -> None:
        (self.root / "sock").mkdir()
        for path in (self.root, self.root / "sock"):
            shutil.chown(path, "postgres", "postgres")
        data = str(self.root / "data")
        self.run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-N", "--no-instructions")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root / 'sock'} -c listen_addresses=127.0.0.1"
        log = str(self.root / "postgres.log")
        self.run("pg_ctl", "-D", str(self.root / "data"), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.root / "data"), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        with contextlib.suppress(OSError):
            shutil.copy(self.root / "postgres.log", self.keep_log)
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.asynccontextmanager
async def private_postgres(workdir: Path) -> AsyncIterator[PrivatePostgres]:
    """A started private cluster; stopped and deleted on the way out."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found or shutil.which("runuser") is None:
        raise Skip("no PostgreSQL server binaries (initdb, pg_ctl) or no runuser here")
    cluster = PrivatePostgres(found[-1].parent, workdir / "postgres.log")
    try:
        try:
            await asyncio.to_thread(cluster.init)
            await asyncio.to_thread(cluster.start)
        except (RuntimeError, OSError, LookupError) as error:
            raise Skip(f"cannot run a private PostgreSQL cluster: {error}") from None
        yield cluster
    finally:
        await asyncio.to_thread(cluster.remove)


@contextlib.contextmanager
def tiny_disk(path: Path, megabytes: int) -> Iterator[Path]:
    """A tmpfs of `megabytes` MB mounted at `path` (needs root); Skip if it cannot be."""
    path.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)]
    done = subprocess.run(mount, capture_output=True)
    if done.returncode != 0:
        raise Skip(f"cannot mount a {megabytes} MB tmpfs: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(disk: Path) -> Path:
    """Take every free byte of the disk; returns the filler file."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (65536, 512):
            with contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * chunk)
    return filler


async def take_database_away(
    cluster: PrivatePostgres | None, disk: Path | None, at: float, seconds: float
) -> dict[str, float]:
    """At monotonic `at`, stop PostgreSQL or fill the disk, for `seconds`; the window."""
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    begin = time.monotonic()
    if cluster is not None:
        await asyncio.to_thread(cluster.stop, "fast")
    filler = await asyncio.to_thread(fill, disk) if disk is not None else None
    await asyncio.sleep(seconds)
    if cluster is not None:
        await asyncio.to_thread(cluster.start)
    if filler is not None:
        filler.unlink()
    return {"begin": begin, "end": time.monotonic()}


# ---- settling and counting ------------------------------------------------------------------


def payload_of(message: Any) -> dict[str, Any]:
    return (message.metadata or {}).get("event_payload") or {}


def snapshot(fake: FakeSlack) -> tuple[int, ...]:
    """What the bot has done in Slack so far (its periodic auth.test probes left out)."""
    channels = list(fake.channels.values())
    messages = [m for c in channels for m in c.messages]
    pins = sum(len(c.pins) for c in channels)
    return len(channels), len(messages), sum(m.edits for m in messages), pins, len(fake.ephemerals)


async def pending(db: Database) -> int:
    try:
        async with db.reader() as session:
            return (await inbox.count_by_state(session=session)).get(inbox.PENDING, 0)
    except Exception:  # noqa: BLE001 - not readable (yet): not settled
        return -1


async def settle(fake: FakeSlack, db: Database, since: float, args: argparse.Namespace) -> dict:
    """Wait until Slack is quiet, no delivery is pending and `--settle` s have passed."""
    start = changed = time.monotonic()
    last = snapshot(fake)
    while True:
        await asyncio.sleep(0.5)
        now, seen = time.monotonic(), snapshot(fake)
        if seen != last:
            last, changed = seen, now
        if now - changed >= args.quiet and now - since >= args.settle and not await pending(db):
            return {"settled": True, "seconds": now - start}
        if now - start >= args.settle_max:
            return {"settled": False, "seconds": now - start, "pending": await pending(db)}


async def read_database(db: Database) -> tuple[list[Any], dict[str, Any], dict[str, int]]:
    """Incident rows, inbox rows by key, and inbox rows by state."""
    async with db.reader() as session:
        columns = select(Incident.id, Incident.title, Incident.setup_state)
        incidents = list((await session.exec(columns)).all())
        columns = select(InboxItem.key, InboxItem.state, InboxItem.attempts)
        rows = {key: (state, n) for key, state, n in (await session.exec(columns)).all()}
        states = await inbox.count_by_state(session=session)
    return incidents, rows, states


def tally(fake: FakeSlack, decls: list[Decl], incidents: list[Any]) -> dict[str, Counter[str]]:
    """Per title token: incident rows, channels, cards, pinned cards and announcements."""
    per: dict[str, Counter[str]] = {d.token: Counter() for d in decls}
    owner: dict[str, str] = {}
    for incident_id, title, setup_state in incidents:
        found = TOKEN.search(title)
        if found and found[0] in per:
            per[found[0]]["incidents"] += 1
            per[found[0]]["not_ready"] += setup_state != "ready"
            owner[incident_id] = found[0]
    for channel in fake.channels.values():
        found = TOKEN.search(channel.name) if channel.name.startswith("inc-") else None
        if found and found[0] in per:
            count = per[found[0]]
            count["channels"] += 1
            for message in channel.messages:
                if not message.deleted and payload_of(message).get("kind") == "card":
                    count["cards"] += 1
                    count["pinned"] += message.ts in channel.pins
    for message in fake.messages("incidents"):
        if payload_of(message).get("kind") == "announcement":
            found = TOKEN.search(message.text)
            token = owner.get(payload_of(message).get("incident_id", "")) or (
                found[0] if found else ""
            )
            if token in per:
                per[token]["announcements"] += 1
    return per


def evidence(log: str, needles: list[str], sent: float, limit: int = 6) -> list[str]:
    """Log records naming the incident, delivery key or title, and ERROR records logged
    within 2 s after the request was sent: each as its first line and its exception."""
    records: list[list[str]] = []
    for line in log.splitlines():
        if RECORD_START.match(line) or not records:
            records.append([line])
        else:
            records[-1].append(line)
    found = []
    for record in records:
        named = any(n in line for line in record for n in needles)
        stamp = re.match(r"(\S+ \S+) (ERROR|CRITICAL) ", record[0])
        if stamp:
            at = datetime.strptime(stamp[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        if named or (stamp and sent - 0.1 <= at <= sent + 2):
            error = next((line for line in record[1:] if EXCEPTION_LINE.match(line)), "")
            found.append(record[0][:220] + (f" | {error[:200]}" if error else ""))
    return found[:limit]


def judge(
    fake: FakeSlack, decls: list[Decl], incidents: list[Any], rows: dict[str, Any], log: str
) -> dict[str, Any]:
    """The counts of the table, and every title that breaks a promise, with its evidence."""
    per = tally(fake, decls, incidents)
    answers = Counter(d.answer for d in decls)
    by = {kind: {d.token for d in decls if d.answer == kind} for kind in ("acked", "told", "none")}
    stored = {t for t, c in per.items() if c["incidents"]}
    once = {t for t, c in per.items() if all(c[p] == 1 for p in PARTS) and not c["not_ready"]}
    missing = {t for t, c in per.items() if any(c[p] == 0 for p in PARTS)}
    dups = {t for t, c in per.items() if any(c[p] > 1 for p in PARTS)}
    went_wrong = {
        d.token
        for d in decls
        if d.response_url
        and any(WENT_WRONG in str(p.get("text")) for p in fake.response_posts(d.response_url))
    }
    bad = (by["acked"] & missing) | dups | (by["told"] & stored) | (stored - once)
    problems = {}
    for d in (d for d in decls if d.token in bad):
        ids = [i for i, title, _ in incidents if d.token in title]
        problems[d.title] = {
            "answer": d.answer,
            "detail": d.detail,
            **{p: per[d.token][p] for p in (*PARTS, "not_ready")},
            "inbox": rows.get(d.key),
            "told_went_wrong": d.token in went_wrong,
            "log": evidence(log, [*ids, d.key, d.token], d.sent_wall),
        }
    return {
        "sent": len(decls) - answers["unsent"],
        "acked": answers["acked"],
        "told": answers["told"],
        "no_answer": answers["none"],
        "other": answers["other"],
        "no_answer_stored": len(by["none"] & stored),
        **{p: sum(c[p] for c in per.values()) for p in PARTS},
        "acked_and_lost": sorted(by["acked"] & missing),
        "duplicates": sorted(dups),
        "acked_not_exactly_once": sorted(by["acked"] - once),
        "told_yet_stored": sorted(by["told"] & stored),
        "stored_not_complete": sorted(stored - once),
        "acked_then_told_went_wrong": len(by["acked"] & went_wrong),
        "problems": problems,
    }


# ---- scenarios ------------------------------------------------------------------------------


async def run_scenario(name: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    kills = name == "kills"
    count = args.count if kills else args.outage_count
    in_flight = args.in_flight if kills else args.outage_in_flight
    prefix = "Kill storm" if kills else "Db pause"
    decls = [Decl(f"{prefix} dk{i:04d}", f"dk{i:04d}") for i in range(count)]
    result: dict[str, Any] = {"scenario": name, "database": args.database, "in_flight": in_flight}
    fake = FakeSlack(latency=args.latency)
    async with contextlib.AsyncExitStack() as stack:
        await fake.start()
        stack.push_async_callback(fake.stop)
        cluster: PrivatePostgres | None = None
        disk: Path | None = None
        if kills:
            url = await stack.enter_async_context(fresh_database(args.database, workdir))
        elif args.database == "postgres":
            cluster = await stack.enter_async_context(private_postgres(workdir))
            url = cluster.url
        else:
            disk = stack.enter_context(tiny_disk(workdir / "disk", args.tmpfs_mb))
            url = f"sqlite:///{disk / 'bot.db'}"
        bot = BotProc(fake, url, "default", workdir / f"bot-{name}.log", log_level="INFO")
        stack.callback(bot.kill)  # exit callbacks run last-in first-out: stop, then kill
        stack.push_async_callback(bot.stop)
        db = Database(url)
        stack.push_async_callback(db.dispose)
        await bot.start()
        traffic = Traffic()
        traffic.open.set()
        t0 = time.monotonic()
        if kills:
            restarts: list[dict[str, Any]] = []
            at = kill_points(count, in_flight, args.kills, args.seed)
            await asyncio.gather(
                send_all(fake, bot.port, decls, in_flight, traffic, 0.0),
                kill_storm(bot, at, traffic, t0, restarts),
            )
            result["kills"] = restarts
            since = max([t0 + k["at_s"] for k in restarts], default=time.monotonic())
        else:
            away_at = t0 + (args.outage_spread - args.outage_seconds) / 2
            pace = args.outage_spread / count
            _, window = await asyncio.gather(
                send_all(fake, bot.port, decls, in_flight, traffic, pace),
                take_database_away(cluster, disk, away_at, args.outage_seconds),
            )
            meanwhile = [d.answer for d in decls if window["begin"] <= d.sent_at <= window["end"]]
            result["outage"] = {
                "kind": "pg_ctl stop -m fast" if cluster else f"{args.tmpfs_mb} MB tmpfs full",
                "from_s": window["begin"] - t0,
                "seconds": window["end"] - window["begin"],
                "sent_meanwhile": dict(Counter(meanwhile)),
            }
            since = window["end"]
        result["send_s"] = time.monotonic() - t0
        result["settle"] = await settle(fake, db, since, args)
        incidents, rows, result["inbox_states"] = await read_database(db)
        log = bot.log.read_text(errors="replace")
        result.update(judge(fake, decls, incidents, rows, log))
        answered = [d.latency for d in decls if d.answer not in ("none", "unsent")]
        result["answer_s_max"] = max(answered, default=math.nan)
        result["answers_over_3s"] = sum(1 for s in answered if s > 3)
        result["bot_log"] = errors_in(bot)
        result["replays_logged"] = log.count("replaying delivery")
    return result


# ---- output ---------------------------------------------------------------------------------


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def table(r: dict[str, Any]) -> str:
    o, settled = r.get("outage"), r["settle"]

    def none_of(key: str) -> list[Any]:
        return [len(r[key]), "0", met(not r[key])]

    rows: list[list[Any]] = [
        ["declarations sent (in flight)", f"{r['sent']} ({r['in_flight']})", "", ""],
        ["acknowledged (HTTP 200, no warning)", r["acked"], "", ""],
        [
            'told "Nothing was recorded"',
            r["told"],
            "> 0" if o else "",
            met(r["told"] > 0) if o else "",
        ],
        [
            "no answer (connection error) / of those stored",
            f"{r['no_answer']} / {r['no_answer_stored']}",
            "0 / –" if o else "",
            met(not r["no_answer"]) if o else "",
        ],
        ["other answers (not HTTP 200)", r["other"], "0", met(not r["other"])],
        [
            "stored / channels / cards / pinned / announcements",
            " / ".join(str(r[p]) for p in PARTS),
            "",
            "",
        ],
        ["**acknowledged-and-lost**", *none_of("acked_and_lost")],
        ["**duplicates**", *none_of("duplicates")],
        ['told "not recorded", yet stored', *none_of("told_yet_stored")],
        ["stored, not set up exactly once", *none_of("stored_not_complete")],
        ['acknowledged, then told "Something went wrong"', r["acked_then_told_went_wrong"], "", ""],
    ]
    if "kills" in r:
        kills = "; ".join(
            f"{k['sent']} ({k['in_flight']}, {k['restart_s']:.1f} s)" for k in r["kills"]
        )
        rows.append(["kill -9 after N sent (in flight, restart took)", kills or "none", "", ""])
    if o:
        meanwhile = ", ".join(f"{k} {v}" for k, v in sorted(o["sent_meanwhile"].items()))
        took = f"{o['seconds']:.1f} s from {o['from_s']:.1f} s; sent meanwhile: {meanwhile or '–'}"
        rows.append([f"database away ({o['kind']})", took, "", ""])
    took = f"{fmt(r['send_s'], 1)} s / {fmt(settled['seconds'], 1)} s"
    rows.append(["sending took / settled within", took, "bounded", met(settled["settled"])])
    states = ", ".join(f"{k} {v}" for k, v in sorted(r["inbox_states"].items()))
    pending_rows = r["inbox_states"].get(inbox.PENDING)
    rows.append(["inbox rows by state", states, "none pending", met(not pending_rows)])
    return markdown_table(["measure", "result", "target", "met"], rows)


def problems_text(r: dict[str, Any]) -> str:
    lines = []
    for title, p in r["problems"].items():
        counts = ", ".join(f"{k} {p[k]}" for k in (*PARTS, "not_ready"))
        told = ', told "Something went wrong"' if p["told_went_wrong"] else ""
        lines.append(
            f"- `{title}`: {p['answer']} ({p['detail']}){told}; {counts}; inbox {p['inbox']}"
        )
        lines += [f"    {line}" for line in p["log"]]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.durability", description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--database", choices=("sqlite", "postgres"), default="sqlite")
    add("--scenario", choices=("kills", "outage", "both"), default="both")
    add("--latency", type=float, default=0.02, help="seconds per fake Slack call")
    add("--count", type=int, default=200, help="declarations in the kill storm")
    add("--in-flight", type=int, default=20, help="requests in flight in the kill storm")
    add("--kills", type=int, default=5, help="kill -9 and restart during the storm")
    add("--seed", type=int, default=7, help="chooses the moments of the kills")
    add("--outage-count", type=int, default=50, help="declarations in the outage scenario")
    add("--outage-in-flight", type=int, default=10, help="requests in flight in the outage")
    add("--outage-seconds", type=float, default=6.0, help="how long the database is away")
    add("--outage-spread", type=float, default=15.0, help="seconds the declarations span")
    add("--tmpfs-mb", type=int, default=16, help="size of the SQLite disk that is filled")
    add("--quiet", type=float, default=5.0, help="seconds without change in Slack to settle")
    lease = LEASE.total_seconds()
    add("--settle", type=float, default=2 * lease + 10, help="at least this long after a kill")
    add("--settle-max", type=float, default=120.0, help="upper bound of settling (s)")
    add("--deadline", type=float, default=300.0, help="cap on each scenario (s)")
    add("--keep-logs", default="", help="copy the bot (and PostgreSQL) logs to this folder")
    args = parser.parse_args(argv)
    if args.kills and not kill_points(args.count, args.in_flight, args.kills, args.seed):
        parser.error("--count must leave room for --kills × --in-flight requests between kills")
    return args


async def amain(args: argparse.Namespace) -> int:
    names = ["kills", "outage"] if args.scenario == "both" else [args.scenario]
    code, results, measured = 0, [], bot_code()
    print(f"Bot code: commit {measured['commit'] or '?'}, sources {measured['source_sha256']}")
    if measured["uncommitted"]:
        print(f"  with uncommitted changes: {'; '.join(measured['uncommitted'])}")
    with tempfile.TemporaryDirectory(prefix="bench-durability-") as tmp:
        for name in names:
            workdir = Path(tmp) / name
            workdir.mkdir()
            try:
                result = await asyncio.wait_for(run_scenario(name, args, workdir), args.deadline)
            except Skip as reason:
                print(f"\nSKIPPED: {name} on {args.database}: {reason}")
                results.append({"scenario": name, "skipped": str(reason)})
                continue
            except TimeoutError:
                print(f"\nbench.durability: {name} took longer than --deadline {args.deadline} s")
                results.append({"scenario": name, "timed_out": True})
                code = 1
                continue
            finally:
                if args.keep_logs:
                    keep = Path(args.keep_logs)
                    keep.mkdir(parents=True, exist_ok=True)
                    for log in workdir.glob("*.log"):
                        shutil.copy(log, keep / f"{args.database}-{log.name}")
            m = machine()
            title = "kill -9 storm" if name == "kills" else "database outage"
            where = f"{args.database}; nproc {m['nproc']}, load {m['load_avg_1m']}"
            print(f"\n## Durability: {title} ({where})\n\n{table(result)}")
            if result["problems"]:
                print(f"\nTitles that break a promise:\n{problems_text(result)}")
            results.append(result)
    changed = bot_code()["source_sha256"] != measured["source_sha256"]
    if changed:
        print("WARNING: the bot's code changed while this ran; the figures may mix versions")
    payload = {"bench": "durability", "bot_code": {**measured, "changed_during_run": changed}}
    print(json_line({**payload, "machine": machine(), "options": vars(args), "results": results}))
    return code


def main(argv: list[str] | None = None) -> int:
    try:
        return asyncio.run(amain(parse_args(argv)))
    except KeyboardInterrupt:
        print("bench.durability: interrupted (processes, clusters, mounts and files cleaned up)")
        return 130


if __name__ == "__main__":
    sys.exit(main())
