"""Shared pieces of the benchmarks: databases, bot processes, memory readings and tables."""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from sandbox.slack import FakeSlack
from tests.harness import free_port
from tests.processes import bot_env

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/"


class Skip(Exception):  # noqa: N818 - a reason to skip, not an error
    """The benchmark cannot run here (e.g. PostgreSQL is not reachable)."""


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgres://", 1)


async def postgres_reachable() -> str | None:
    """None when PostgreSQL answers on 127.0.0.1:5432, else why not."""
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(_asyncpg_url(POSTGRES_ADMIN_URL)), 3)
    except Exception as error:  # noqa: BLE001 - any failure means "skip, and say why"
        kind = type(error).__name__
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable ({kind}: {error})"
    await conn.close()
    return None


@asynccontextmanager
async def fresh_database(kind: str, workdir: Path) -> AsyncIterator[str]:
    """The URL of an empty database: a new SQLite file, or a new PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    import asyncpg

    reason = await postgres_reachable()
    if reason:
        raise Skip(reason)
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_asyncpg_url(POSTGRES_ADMIN_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES_ADMIN_URL + name
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM (KiB) of a live process from /proc/<pid>/status; {} if it is gone."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used so far (NaN if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BotProc:
    """One `python -m bot` process in HTTP mode, pointed at the fake Slack and a database."""

    def __init__(
        self,
        fake: FakeSlack,
        database_url: str,
        pack: str,
        log: Path,
        *,
        log_level: str = "WARNING",
    ) -> None:
        self.port = free_port()
        self.log = log
        self.env = bot_env(fake, database_url, pack, port=self.port, log_level=log_level)
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def spawn(self) -> None:
        """Start the process (cwd is the log's folder, so no stray .env is read)."""
        with self.log.open("ab") as out:
            self.started_at = time.monotonic()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                env=self.env,
                cwd=self.log.parent,
                stdout=out,
                stderr=out,
            )

    async def wait_healthy(self, timeout: float = 60.0, poll: float = 0.02) -> float:
        """Seconds from spawn until /healthz first answers 200; raises on exit or timeout."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        client_timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=client_timeout) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"bot exited early: {self.tail()}")
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return time.monotonic() - self.started_at
                except (TimeoutError, aiohttp.ClientError):
                    pass
                await asyncio.sleep(poll)
        raise RuntimeError(f"bot not healthy within {timeout}s: {self.tail()}")

    async def start(self) -> float:
        """Spawn and wait until healthy; returns the seconds it took."""
        self.spawn()
        return await self.wait_healthy()

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM in KiB while the process is alive."""
        return proc_status(self.pid) if self.proc and self.proc.poll() is None else {}

    def cpu(self) -> float:
        """CPU seconds used so far while the process is alive."""
        return cpu_seconds(self.pid) if self.proc and self.proc.poll() is None else math.nan

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, wait (bounded, without blocking the loop), SIGKILL if it hangs."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL if still running (cleanup path)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def fmt(value: Any, digits: int = 0) -> str:
    """Numbers for tables: rounded, NaN as a dash."""
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A small GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def json_line(payload: dict[str, Any]) -> str:
    """One JSON line, NaN written as null."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(payload), sort_keys=True)
