"""`python -m bot export INC-ID`: print the incident log; needs only the database and pack."""

from __future__ import annotations

import asyncio
import sys

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.clock import utcnow
from bot.domain.errors import UnknownIncident
from bot.services.export import incident_log_markdown
from bot.settings import describe_settings_error
from playbooks.loader import PackError, load_pack
from storage.db import Database


class ExportSettings(BaseSettings):
    """The two settings an export reads (no Slack tokens needed)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./incidents.db"
    playbook_pack: str = "default"


async def _export(incident_id: str, settings: ExportSettings) -> str:
    db = Database(settings.database_url)
    try:
        await db.migrate()
        return await incident_log_markdown(
            db=db, pack=load_pack(settings.playbook_pack), incident_id=incident_id, now=utcnow
        )
    finally:
        await db.dispose()


def export_command(incident_id: str) -> int:
    """Print the Markdown log; one line and exit code 2 on an unknown ID or bad settings."""
    try:
        settings = ExportSettings()
        print(asyncio.run(_export(incident_id, settings)))
    except ValidationError as error:
        print(f"incident-bot: {describe_settings_error(error)}", file=sys.stderr)
        return 2
    except (UnknownIncident, PackError) as error:
        print(f"incident-bot: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0
