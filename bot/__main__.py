"""`python -m bot` / `incident-bot`: run the bot, migrate its database, validate packs, or
export an incident log."""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incident-bot", description="Slack incident bot.")
    parser.add_argument("--version", action="version", version=f"incident-bot {_version()}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    migrate = sub.add_parser("migrate", help="upgrade DATABASE_URL's schema to this version's")
    migrate.add_argument(
        "--sql", action="store_true", help="print the upgrade's SQL; touch no database"
    )
    playbooks = sub.add_parser("playbooks", help="work with playbook packs")
    pb_sub = playbooks.add_subparsers(dest="playbooks_command", required=True)
    validate = pb_sub.add_parser("validate", help="validate a pack file")
    validate.add_argument("path")
    export = sub.add_parser("export", help="print an incident's log as Markdown")
    export.add_argument("incident_id", metavar="INC-ID")
    return parser


def _version() -> str:
    """The installed distribution's version (pyproject's)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("incident-bot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "playbooks":
        from playbooks.cli import validate_command

        return validate_command(args.path)
    if args.command == "migrate":
        from bot.cli_migrate import migrate_command

        return migrate_command(sql=args.sql)
    if args.command == "export":
        from bot.cli_export import export_command

        return export_command(args.incident_id)
    from bot.logs import configure_logging
    from bot.settings import settings_or_exit, slack_token_set

    if not slack_token_set():
        return _sandbox()
    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.secrets, settings.log_format)
    import asyncio

    from bot.startup import problem_with
    from playbooks.loader import PackError

    problem = asyncio.run(problem_with(settings))
    if problem:
        print(f"incident-bot: {problem}", file=sys.stderr)
        return 2
    # Imported after the checks: a bot that must refuse to start says so at once.
    from bot.server import run

    try:
        run(settings)
    except PackError as error:
        print(f"incident-bot: PLAYBOOK_PACK is invalid: {error}", file=sys.stderr)
        return 2
    return 0


def _sandbox() -> int:
    """No Slack token: run the bot against its built-in sandbox workspace (sandbox/app.py).
    Quiet unless LOG_LEVEL asks otherwise: the one line to read is the page's URL."""
    import asyncio

    from bot.logs import configure_logging
    from bot.settings import log_level_set, settings_or_exit
    from bot.startup import problem_with
    from sandbox.app import run_sandbox

    # Placeholders for the Slack settings the sandbox replaces: only the others are checked.
    settings = settings_or_exit(slack_bot_token="xoxb-sandbox", slack_signing_secret="sandbox")
    level = settings.log_level if log_level_set() else "WARNING"
    configure_logging(level, settings.secrets, settings.log_format)
    problem = asyncio.run(problem_with(settings, slack=False))
    if problem:
        print(f"incident-bot: {problem}", file=sys.stderr)
        return 2
    return run_sandbox(settings)


if __name__ == "__main__":
    sys.exit(main())
