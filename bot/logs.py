"""Logging setup: text or JSON lines (LOG_FORMAT), with what each line is about, and no
secrets.

Three context variables say what the code is doing when it logs: the incident it works on
(`INCIDENT`), the kind of Slack request it is handling (`REQUEST_KIND`) and the Web API
method it is calling (`SLACK_CALL`). They are set where a request is dispatched, where a
service takes up an incident and around every Web API call, and `LogContext` copies them
onto each record: JSON lines carry them as `incident_id`, `request_kind` and `slack_call`,
text lines end with them in brackets (`… [INC-20260302-001 command chat.postMessage]`).
Tasks started while one is set inherit it (asyncio copies the context into a new task).

Every line is redacted twice: `RedactSecrets` blanks tokens and secrets out of the record
(its message, arguments and traceback), and the handler's formatter blanks them out of the
finished line, so nothing a record carries (extra fields, the context, a traceback that a
formatter renders anew) reaches the stream with a secret in it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")

INCIDENT: ContextVar[str | None] = ContextVar("incident", default=None)
REQUEST_KIND: ContextVar[str | None] = ContextVar("request_kind", default=None)
SLACK_CALL: ContextVar[str | None] = ContextVar("slack_call", default=None)
# The record attribute (and JSON field) each context variable is copied to.
CONTEXT_FIELDS: tuple[tuple[str, ContextVar[str | None]], ...] = (
    ("incident_id", INCIDENT),
    ("request_kind", REQUEST_KIND),
    ("slack_call", SLACK_CALL),
)


def working_on(incident_id: str | None) -> None:
    """Say, for the rest of this task, which incident its log lines are about (a listener
    that has found its incident, a declaration that has just made one)."""
    if incident_id:
        INCIDENT.set(incident_id)


@contextmanager
def about(var: ContextVar[str | None], value: str | None) -> Iterator[None]:
    """Set a context variable for the block only (a loop over incidents, one Web API call)."""
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


class LogContext(logging.Filter):
    """Copy the incident, request kind and Slack call in progress onto each record (only
    those known; a field the call site passed in `extra` is left as it is)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record; add what is known about it."""
        for name, var in CONTEXT_FIELDS:
            value = var.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


class RedactSecrets(logging.Filter):
    """Replace Slack tokens, and any configured secret value, in the rendered message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]
        # As a JSON line spells them too: a secret with a quote, a backslash or a non-ASCII
        # character is escaped there.
        escaped = {json.dumps(s)[1:-1] for s in self.secrets} - set(self.secrets)
        self.variants = sorted({*self.secrets, *escaped}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every token and secret blanked out."""
        text = TOKEN.sub(lambda m: f"{m.group(1)}-[redacted]", text)
        for secret in self.variants:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redacted, so arguments can't leak either."""
        message = record.getMessage()
        clean = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


class TextLines(logging.Formatter):
    """`time LEVEL logger: message [incident kind call]` (the bracket only when known)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The line before any traceback, with what it is about at its end."""
        known = [getattr(record, name) for name, _ in CONTEXT_FIELDS if hasattr(record, name)]
        line = super().formatMessage(record)
        return f"{line} [{' '.join(map(str, known))}]" if known else line


class JsonLines(JsonFormatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the context
    fields that are known, any `extra` fields, and `exc_info` with the traceback."""

    def __init__(self) -> None:
        super().__init__(
            ["asctime", "levelname", "name", "message"],
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """ISO 8601 in UTC with milliseconds, e.g. `2026-03-02T08:59:00.123Z`."""
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Redacted(logging.Formatter):
    """Another formatter's lines, with every token and secret blanked out of the result."""

    def __init__(self, inner: logging.Formatter, redaction: RedactSecrets) -> None:
        super().__init__()
        self.inner = inner
        self.redaction = redaction

    def format(self, record: logging.LogRecord) -> str:
        """The inner formatter's line, redacted."""
        return self.redaction.redact(self.inner.format(record))


class SkippedPoll(logging.Filter):
    """Drop APScheduler's "skipped: maximum number of running instances reached": the timer
    poll runs one at a time on purpose (max_instances=1), so a poll that outlasts its
    interval on a busy machine makes the next one wait; nothing is lost or late for it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def log_handler(
    fmt: str, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """A handler writing `fmt` ("text" or "json") lines to `stream` (stderr), with their
    context, redacted."""
    redaction = RedactSecrets(secrets)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(Redacted(JsonLines() if fmt == "json" else TextLines(), redaction))
    handler.addFilter(LogContext())
    handler.addFilter(redaction)
    return handler


def configure_logging(level: str, secrets: Iterable[str] = (), fmt: str = "text") -> None:
    """Log to stderr at `level` in `fmt` ("text" or "json"), secrets redacted from every
    line. Python's warnings are logged too, so that in JSON every line is JSON."""
    root = logging.getLogger()
    root.handlers[:] = [log_handler(fmt, secrets)]
    root.setLevel(level)
    logging.captureWarnings(True)
    # APScheduler logs every run of the 4-per-second timer poll at INFO, and Alembic every
    # plugin it loads: neither says anything an operator needs.
    for noisy in ("apscheduler", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    logging.getLogger("apscheduler.scheduler").addFilter(SkippedPoll())
