"""Log lines: text or JSON (LOG_FORMAT), each saying what it is about, and never a secret."""

import asyncio
import io
import json
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.logs import (
    INCIDENT,
    REQUEST_KIND,
    SLACK_CALL,
    RedactSecrets,
    about,
    configure_logging,
    log_handler,
    working_on,
)
from storage import repo
from storage.db import Database
from tests.processes import BotProcess


def test_tokens_and_secrets_are_redacted(caplog):
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactSecrets(["my-signing-secret"]))
    with caplog.at_level(logging.DEBUG, logger="test.redaction"):
        logger.debug("headers %s", {"Authorization": "Bearer xoxb-123-456-abcDEF"})
        logger.info("app token xapp-1-A0-xyz and secret my-signing-secret")
        try:
            raise ValueError("bad token xoxp-999-secret")
        except ValueError:
            logger.exception("failed")
    text = caplog.text
    assert "xoxb-123" not in text and "xapp-1-A0" not in text and "xoxp-999" not in text
    assert "my-signing-secret" not in text
    assert "xoxb-[redacted]" in text


def test_a_timer_poll_skipped_because_the_last_one_still_runs_is_not_a_warning():
    import logging

    from bot.logs import SkippedPoll

    skipped = logging.LogRecord(
        "apscheduler.scheduler",
        logging.WARNING,
        __file__,
        1,
        'Execution of job "TimerLoop.tick (trigger: interval[0:00:00.250000], next run at: '
        '2026-12-06 03:20:00 UTC)" skipped: maximum number of running instances reached (1)',
        None,
        None,
    )
    other = logging.LogRecord(
        "apscheduler.scheduler", logging.WARNING, __file__, 1, "Something else", None, None
    )
    assert [SkippedPoll().filter(r) for r in (skipped, other)] == [False, True]


# --- LOG_FORMAT: text and JSON lines, with the incident, request kind and Slack call ---

SECRET = 'sig"ning-secret\\1'  # a quote and a backslash: JSON spells it escaped


@contextmanager
def captured(fmt: str, secrets: tuple[str, ...] = (SECRET,)) -> Iterator[io.StringIO]:
    """A logger of its own writing `fmt` lines (as the bot's handler does) into a buffer."""
    out = io.StringIO()
    logger = logging.getLogger(f"test.lines.{fmt}")
    logger.handlers[:] = [log_handler(fmt, secrets, stream=out)]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        logger.handlers.clear()


def lines(out: io.StringIO) -> list[str]:
    return out.getvalue().splitlines()


def test_text_lines_end_with_what_they_are_about():
    logger = logging.getLogger("test.lines.text")
    with captured("text") as out:
        logger.info("before")
        with about(INCIDENT, "INC-20260302-001"), about(REQUEST_KIND, "command"):
            logger.info("working")
            with about(SLACK_CALL, "chat.postMessage"):
                logger.warning("calling")
        logger.info("after")
    assert [line.split(" ", 2)[2] for line in lines(out)] == [
        "INFO test.lines.text: before",
        "INFO test.lines.text: working [INC-20260302-001 command]",
        "WARNING test.lines.text: calling [INC-20260302-001 command chat.postMessage]",
        "INFO test.lines.text: after",
    ]


def test_json_lines_carry_time_level_logger_message_and_the_known_context():
    logger = logging.getLogger("test.lines.json")
    with captured("json") as out:
        logger.info("before")
        with about(INCIDENT, "INC-20260302-001"), about(REQUEST_KIND, "action"):
            with about(SLACK_CALL, "pins.add"):
                logger.warning("pinning %s", "the card", extra={"attempt": 2})
    before, during = (json.loads(line) for line in lines(out))
    assert set(before) == {"time", "level", "logger", "message"}
    assert before["time"].endswith("Z") and "T" in before["time"]
    assert (before["level"], before["logger"], before["message"]) == (
        "INFO",
        "test.lines.json",
        "before",
    )
    assert {k: v for k, v in during.items() if k != "time"} == {
        "level": "WARNING",
        "logger": "test.lines.json",
        "message": "pinning the card",
        "attempt": 2,
        "incident_id": "INC-20260302-001",
        "request_kind": "action",
        "slack_call": "pins.add",
    }


def test_a_listener_task_inherits_the_context_and_a_working_on_stays_in_its_task():
    logger = logging.getLogger("test.lines.json")

    async def listener() -> None:
        working_on("INC-7")
        logger.info("in the listener")

    async def dispatch() -> None:
        with about(REQUEST_KIND, "command"):
            await asyncio.create_task(listener())
        logger.info("after the dispatch")

    with captured("json") as out:
        asyncio.run(dispatch())
    inside, after = (json.loads(line) for line in lines(out))
    assert (inside["incident_id"], inside["request_kind"]) == ("INC-7", "command")
    assert "incident_id" not in after and "request_kind" not in after


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_are_redacted_everywhere_a_line_carries_them(fmt):
    logger = logging.getLogger(f"test.lines.{fmt}")
    with captured(fmt) as out:
        logger.info("token %s and secret %s", "xoxb-1-2-abcDEF", SECRET)
        logger.info(
            "extras",
            extra={"token": "xapp-1-A0-xyz", "nested": {"key": SECRET, "list": ["xoxp-9-9"]}},
        )
        with about(INCIDENT, "INC-1 xoxb-77-ctx"), about(SLACK_CALL, SECRET):
            logger.info("context")
        try:
            raise RuntimeError(f"refused xoxb-5-5-tb with {SECRET}")
        except RuntimeError:
            logger.exception("failed")
    text = out.getvalue()
    for leak in ("xoxb-1-2", "xapp-1-A0", "xoxp-9", "xoxb-77", "xoxb-5-5", SECRET):
        assert leak not in text, (leak, text)
    assert json.dumps(SECRET)[1:-1] not in text  # nor as JSON spells it
    assert "RuntimeError: refused xoxb-[redacted] with [redacted]" in text.replace("\\n", "\n")
    assert text.count("[redacted]") >= 7
    if fmt == "json":
        records = [json.loads(line) for line in lines(out)]
        assert [r["message"] for r in records] == [
            "token xoxb-[redacted] and secret [redacted]",
            "extras",
            "context",
            "failed",
        ]
        assert records[1]["nested"] == {"key": "[redacted]", "list": ["xoxp-[redacted]"]}
        assert records[2]["slack_call"] == "[redacted]"
        assert "Traceback" in records[3]["exc_info"]


def test_configure_logging_writes_json_to_stderr_and_logs_warnings(capsys):
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("INFO", ["a-long-secret"], "json")
        logging.getLogger("test.configured").info("secret a-long-secret")
        warnings.warn_explicit("careful", UserWarning, "somewhere.py", 1)
    finally:
        logging.captureWarnings(False)
        root.handlers[:], root.level = saved
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(r["logger"], r["level"]) for r in records] == [
        ("test.configured", "INFO"),
        ("py.warnings", "WARNING"),
    ]
    assert records[0]["message"] == "secret [redacted]"


async def test_a_bot_process_with_log_format_json_writes_only_json_lines(fake, tmp_path):
    log = tmp_path / "bot.log"
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    bot = BotProcess(fake, url, "default", log)
    bot.env.update(LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    await bot.start()
    try:
        assert await bot.command("declare sev2 Logs in JSON") == 200
        await fake.wait_for(
            lambda: any(c.name.endswith("logs-in-json") and c.pins for c in fake.channels.values())
        )
    finally:
        code = await asyncio.get_running_loop().run_in_executor(None, bot.terminate)
    assert code == 0
    database = Database(url)
    try:
        async with database.reader() as session:
            (incident,) = await repo.list_open(session=session)
    finally:
        await database.dispose()
    text = log.read_text()
    assert fake.bot_token not in text
    records = [json.loads(line) for line in text.splitlines()]  # every line is JSON
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    about_it = [r for r in records if r.get("incident_id") == incident.id]
    assert any(
        r["message"] == f"incident {incident.id} is ready in #{incident.channel_name}"
        for r in about_it
    )
    # The setup runs in the command's listener: its Web API calls name all three.
    assert any(
        r.get("request_kind") == "command" and r.get("slack_call") == "conversations.create"
        for r in about_it
    )
