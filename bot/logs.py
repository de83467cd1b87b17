"""Logging setup; every record passes a filter that blanks out tokens and secrets."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")


class RedactSecrets(logging.Filter):
    """Replace Slack tokens, and any configured secret value, in the rendered message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def redact(self, text: str) -> str:
        """The text with every token and secret blanked out."""
        text = TOKEN.sub(lambda m: f"{m.group(1)}-[redacted]", text)
        for secret in self.secrets:
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


class SkippedPoll(logging.Filter):
    """Drop APScheduler's "skipped: maximum number of running instances reached": the timer
    poll runs one at a time on purpose (max_instances=1), so a poll that outlasts its
    interval on a busy machine makes the next one wait; nothing is lost or late for it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`, with secrets redacted from every record."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler logs every run of the 4-per-second timer poll at INFO, and Alembic every
    # plugin it loads: neither says anything an operator needs.
    for noisy in ("apscheduler", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    logging.getLogger("apscheduler.scheduler").addFilter(SkippedPoll())
