"""`incident-bot migrate [--sql]`, Alembic's own CLI through `alembic.ini`, and AUTO_MIGRATE."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers every table
from bot.__main__ import main
from storage import revisions
from storage.db import Database
from tests.conftest import postgres_database
from tests.processes import BotProcess

ROOT = Path(__file__).resolve().parents[1]
HEAD = revisions.head()
TABLES = len(SQLModel.metadata.tables)


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot …` in `tmp_path` (no `.env` there), with only the given settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def alembic(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    """Alembic's console script from this venv, in the checkout, as its README says."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    return subprocess.run(
        [str(Path(sys.executable).parent / "alembic"), *args],
        cwd=ROOT,
        env={**clean, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def migrate_here(monkeypatch, capsys, tmp_path: Path, url: str, *args: str) -> tuple[int, str, str]:
    """`incident-bot migrate …` in this process (no interpreter to start): exit code, out, err."""
    for name in os.environ:
        if name.startswith(("SLACK_", "DATABASE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no .env here
    code = main(["migrate", *args])
    out, err = capsys.readouterr()
    return code, out, err


async def revision_of(url: str) -> str | None:
    database = Database(url)
    try:
        return await database.revision()
    finally:
        await database.dispose()


async def test_migrate_upgrades_a_fresh_file_then_says_it_is_at_head(tmp_path):
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    first = run(["migrate"], tmp_path, DATABASE_URL=url)
    assert (first.returncode, first.stdout) == (
        0,
        f"Upgraded the database from empty to {HEAD} (head).\n",
    )
    assert await revision_of(url) == HEAD
    again = run(["migrate"], tmp_path, DATABASE_URL=url)
    assert (again.returncode, again.stdout) == (0, f"The database is already at head ({HEAD}).\n")


def test_migrate_sql_prints_the_schema_and_creates_nothing(monkeypatch, capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    code, out, err = migrate_here(monkeypatch, capsys, tmp_path, url, "--sql")
    assert (code, err) == (0, "")
    assert out.count("CREATE TABLE incident (") == 1
    assert "ALTER TABLE _alembic_tmp_statuspagecall RENAME TO statuspagecall" in out
    assert list(tmp_path.iterdir()) == []


def test_migrate_sql_for_postgresql_needs_no_server(monkeypatch, capsys, tmp_path):
    """Offline mode: the URL's dialect is enough; nothing listens on port 1."""
    url = "postgresql://nobody@127.0.0.1:1/x"
    code, out, err = migrate_here(monkeypatch, capsys, tmp_path, url, "--sql")
    assert (code, err) == (0, "")
    created = [line for line in out.splitlines() if line.startswith("CREATE TABLE")]
    assert len(created) == TABLES + 2  # alembic_version, and 0004's delivery (dropped in 0005)
    assert f"UPDATE alembic_version SET version_num='{HEAD}'" in out
    assert out.rstrip().endswith("COMMIT;")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://root@127.0.0.1/test", "DATABASE_URL is invalid: must be a sqlite:///"),
        ("sqlite:////nonexistent-dir/x.db", "DATABASE_URL: cannot reach the database"),
        ("postgresql://postgres@127.0.0.1:1/test", "DATABASE_URL: cannot reach the database"),
    ],
)
def test_migrate_with_a_bad_url_says_so_in_one_line(url, says, monkeypatch, capsys, tmp_path):
    code, out, err = migrate_here(monkeypatch, capsys, tmp_path, url)
    assert (code, out) == (2, "")
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"incident-bot: {says}")


async def test_alembic_cli_upgrades_and_reports_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    upgraded = alembic(["upgrade", "head"], url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"Running upgrade 0013 -> {HEAD}" in upgraded.stderr
    assert await revision_of(url) == HEAD
    current = alembic(["current"], url)
    assert (current.returncode, current.stdout) == (0, f"{HEAD} (head)\n")
    history = alembic(["history"], url)
    assert len(history.stdout.splitlines()) == len(revisions.chain())


async def test_alembic_cli_upgrades_postgresql_with_its_own_engine():
    async with postgres_database() as url:
        upgraded = alembic(["upgrade", "head"], url)
        assert upgraded.returncode == 0, upgraded.stderr
        assert await revision_of(url) == HEAD


async def test_auto_migrate_false_refuses_an_old_database_until_it_is_migrated(fake, tmp_path):
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(revisions.upgrade, "0013")
    await database.dispose()
    bot = BotProcess(fake, url, "default", tmp_path / "bot.log")
    bot.env["AUTO_MIGRATE"] = "false"
    refused = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=bot.env, capture_output=True, text=True
    )
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"incident-bot: DATABASE_URL is at revision 0013, the code needs {HEAD}: "
        "run `incident-bot migrate`"
    ]
    assert run(["migrate"], tmp_path, DATABASE_URL=url).returncode == 0
    await bot.start()  # AUTO_MIGRATE=false, at head: it serves
    assert bot.terminate() == 0


def test_auto_migrate_false_refuses_an_empty_database(tmp_path):
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "AUTO_MIGRATE": "false"}
    result = run([], tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'new.db'}", **env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"incident-bot: DATABASE_URL is at revision none (never migrated), the code needs "
        f"{HEAD}: run `incident-bot migrate`"
    ]
