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
