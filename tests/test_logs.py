"""Secrets never reach the logs."""

import logging

from bot.logs import RedactSecrets


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
