"""The timeline survives a restart; /healthz reports the database."""

import json

from storage.db import Database
from tests.harness import running_bot


async def test_timeline_is_readable_after_a_restart(fake, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'restart.db'}"
    async with running_bot(fake, tmp_path, database_url=db_url) as bot:
        channel = await bot.declare()
        await bot.command("note before restart", channel=channel.id)
        await fake.wait_for(
            lambda: any("before restart" in m.text for m in fake.messages(channel.id))
        )
    async with running_bot(fake, tmp_path, database_url=db_url) as bot:
        status, _, url = await bot.command("timeline", channel=channel.id)
        text = json.dumps((await bot.replies(url))[0]["blocks"])
    assert "Declared" in text and "before restart" in text


async def test_healthz_reports_the_database(bot):
    async with bot.http.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["database"] == "ok" and body["mode"] == "http"


async def test_healthz_says_when_the_database_is_unreachable(bot):
    reachable = bot.db
    bot.db = Database("postgresql://nobody@127.0.0.1:1/none")
    try:
        async with bot.http.get(f"{bot.url}/healthz") as response:
            assert response.status == 200
            body = await response.json()
    finally:
        await bot.db.dispose()
        bot.db = reachable
    assert body["database"] == "unreachable" and body["ok"] is False
