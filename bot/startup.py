"""Checks before serving: a token Slack refuses or a database that cannot be reached stops
the bot with one line naming the setting (exit code 2), instead of a traceback later.

Slack being unreachable is not fatal: the bot records declarations and finishes their
setup when Slack answers again.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url

from bot.settings import Settings
from bot.slack_gateway import make_client
from playbooks.loader import PackError, load_pack
from playbooks.overrides import at_times
from storage import revisions
from storage.db import Database

log = logging.getLogger(__name__)
DATABASE_TIMEOUT = 10.0
SLACK_TIMEOUT = 10.0
# Slack's answers that mean the token itself is wrong, not that Slack is having trouble.
BAD_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)


async def problem_with(settings: Settings, *, slack: bool = True) -> str | None:
    """The first fatal problem, as one line naming the setting; None when all is well.

    `slack=False` skips asking Slack (the sandbox serves Slack itself, once started)."""
    try:
        pack = load_pack(settings.playbook_pack)
    except PackError as error:
        return f"PLAYBOOK_PACK is invalid: {error}"
    try:
        at_times(pack, settings.checklist_times)
    except ValueError as error:
        return f"CHECKLIST_TIMES is invalid: {error}"
    need_head = not settings.auto_migrate
    problem = await database_problem(settings.database_url, need_head=need_head)
    if problem or not slack:
        return problem
    return await _slack_problem(settings)


async def database_problem(url: str, *, need_head: bool = False) -> str | None:
    """Why the database at `url` cannot be used, as one line naming DATABASE_URL; None when
    it answers (and, with `need_head`, is at the revision the code needs)."""
    database: Database | None = None
    try:
        _sqlite_folder_exists(url)
        database = Database(url)
        await asyncio.wait_for(database.check_connection(), DATABASE_TIMEOUT)
        found = await database.revision() if need_head else None
    except Exception as error:  # noqa: BLE001 - any failure: name the setting, not the URL
        reason = "TimeoutError: no answer" if isinstance(error, TimeoutError) else error_line(error)
        return f"DATABASE_URL: cannot reach the database ({reason})"
    finally:
        if database is not None:
            await database.dispose()
    if need_head and found != revisions.head():
        return (
            f"DATABASE_URL is at revision {found or 'none (never migrated)'}, the code needs "
            f"{revisions.head()}: run `incident-bot migrate`"
        )
    return None


def _sqlite_folder_exists(url: str) -> None:
    """Raise when a SQLite file's folder is missing, before aiosqlite tries: a failed
    aiosqlite connect leaves its thread a callback on the loop, which `asyncio.run` may have
    closed by then (a traceback after the one line)."""
    parsed = make_url(url)
    path = parsed.database
    if parsed.get_backend_name() == "sqlite" and path and not path.startswith((":", "file:")):
        folder = Path(path).parent
        if not folder.is_dir():
            raise FileNotFoundError(f"no folder {folder} for the SQLite file")


async def _slack_problem(settings: Settings) -> str | None:
    client = make_client(settings, retries=False)
    checks = [("SLACK_BOT_TOKEN", client.auth_test())]
    if settings.slack_app_token is not None:
        app_token = settings.slack_app_token.get_secret_value()
        checks.append(("SLACK_APP_TOKEN", client.apps_connections_open(app_token=app_token)))
    try:
        for name, call in checks:
            try:
                await asyncio.wait_for(call, SLACK_TIMEOUT)
            except SlackApiError as error:
                code = str(error.response.get("error", ""))
                if code in BAD_TOKEN:
                    return f"{name} is invalid: Slack answered {code}"
                log.warning("Slack answered %s to the %s check; starting anyway", code, name)
            except Exception as error:  # noqa: BLE001 - Slack unreachable: start anyway
                log.warning("Slack is unreachable at startup (%r); starting anyway", error)
                break
    finally:
        for _, call in checks:
            call.close()  # a check skipped after an outage is never awaited
        if client.session is not None:
            await client.session.close()
    return None


def error_line(error: BaseException) -> str:
    """`Type: first line of the message`, for a one-line error that shows no traceback."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200] if text else 'no detail'}"
