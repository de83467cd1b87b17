"""What paging out says in the incident channel and to whoever asked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.blocks.format import user, user_text, utc

ACTIONS = {"trigger": "Paging", "resolve": "Resolving the page of"}


def paging_failed_text(*, action: str, target: str, reason: str, retrying: bool) -> str:
    """⚠️ Paging failed: pagerduty:primary-oncall: PagerDuty answered 500, retrying."""
    what = "Paging failed" if action == "trigger" else "Resolving the page failed"
    then = "retrying" if retrying else "given up (fix the settings and page again)"
    return f":warning: {what}: {target}: {user_text(reason, 300)}, {then}."


def paged_after_failure_text(*, action: str, target: str, attempts: int) -> str:
    """✅ Paged pagerduty:primary-oncall after 3 attempts."""
    what = "Paged" if action == "trigger" else "Resolved the page of"
    return f":white_check_mark: {what} {target} after {attempts} attempts."


def paged_level_text(*, level: int, level_name: str, targets: Sequence[str], by: str) -> str:
    """📟 Paging level 1 · Primary on-call: pagerduty:primary-oncall (by @alice)."""
    name = f" · {user_text(level_name, 100)}" if level_name else ""
    return f":pager: Paging level {level}{name}: {', '.join(targets)} (by {user(by)})."


def paged_user_text(*, person: str, incident: str, title: str, by: str) -> str:
    """📟 @bob, you are paged for INC-…: <title> (by @alice)."""
    return (
        f":pager: {user(person)}, you are paged for *{incident}*: {user_text(title, 200)} "
        f"(by {user(by)})."
    )


def already_paged_text(*, level: int, paged: Sequence[tuple[str, str, datetime]]) -> str:
    """Level 1 was already paged: pagerduty:primary-oncall at 09:00 UTC (sent)."""
    lines = ", ".join(f"{target} at {utc(at)} ({state})" for target, state, at in paged)
    return f"Level {level} was already paged for this incident: {lines}. A level pages once."


STATUSPAGE_ACTIONS = {
    "create": "Creating the Statuspage incident",
    "update": "Updating Statuspage",
    "resolve": "Resolving the Statuspage incident",
}


def statuspage_failed_text(*, action: str, reason: str, retrying: bool) -> str:
    """⚠️ Updating Statuspage failed: Statuspage answered 500, retrying."""
    what = STATUSPAGE_ACTIONS.get(action, "Statuspage")
    then = "retrying" if retrying else "given up"
    return f":warning: {what} failed: {user_text(reason, 300)}, {then}."


def statuspage_after_failure_text(*, action: str, attempts: int) -> str:
    """✅ Updating Statuspage went through after 3 attempts."""
    what = STATUSPAGE_ACTIONS.get(action, "Statuspage")
    return f":white_check_mark: {what} went through after {attempts} attempts."
