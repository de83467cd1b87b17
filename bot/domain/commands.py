"""Parsing `/incident` command text into subcommands and their arguments."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.domain.errors import BadCommand

GLOBAL_SUBCOMMANDS = ("declare", "list", "help", "stats")
INCIDENT_SUBCOMMANDS = (
    "commander",
    "role",
    "severity",
    "status",
    "update",
    "note",
    "escalate",
    "page",
    "timeline",
    "resolve",
    "reopen",
    "playbook",
    "log",
    "follow-up",
    "follow-ups",
)
_MENTION = re.compile(r"^<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>$")
DECLARE_USAGE = "`/incident declare <severity> <title>`"
_OPTION = re.compile(r"(?:^|\s)--([a-z][a-z-]*)(?:[ =](\S+))?")


@dataclass(frozen=True)
class DeclareArgs:
    """What `/incident declare <severity> <title…> [--playbook id] [--private]` asked for."""

    severity: str | None  # None: the named playbook's severity
    title: str
    playbook: str | None = None
    private: bool = False


def closest_subcommand(name: str) -> str | None:
    """The subcommand a mistyped one most likely meant (`comander` → `commander`), if any."""
    known = GLOBAL_SUBCOMMANDS + INCIDENT_SUBCOMMANDS
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    return close[0] if close else None


def split_subcommand(text: str) -> tuple[str, str]:
    """Split `verb rest…` into the lowercased verb and the untouched rest."""
    parts = text.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0].lower(), parts[1].strip() if len(parts) > 1 else ""


def parse_user(token: str) -> str:
    """A Slack user mention (`<@U123|alice>`) as a user ID, or a clear error."""
    match = _MENTION.match(token.strip())
    if not match:
        raise BadCommand(
            f"`{token}` is not a user mention. Type `@` and pick the person from the list."
        )
    return match.group(1)


def parse_page_target(rest: str) -> int | str:
    """`/incident page 1` → the level number; `/incident page @bob` → the user ID."""
    word = rest.split()[0]
    if word.isdigit():
        return int(word)
    if word.lower().startswith("level") and word[5:].isdigit():
        return int(word[5:])
    if word.startswith("<@"):
        return parse_user(word)
    raise BadCommand(
        f"`{word}` is neither a level nor a person: `/incident page 1` pages level 1's pager "
        "targets, `/incident page @user` pages a person."
    )


def parse_declare(rest: str, find_severity: Callable[[str], str | None]) -> DeclareArgs:
    """Parse the inline declaration; `find_severity` maps text to a severity ID or None."""
    private, rest = split_flag(rest, "private")
    args = _parse_declare(rest, find_severity)
    return replace(args, private=True) if private else args


def _parse_declare(rest: str, find_severity: Callable[[str], str | None]) -> DeclareArgs:
    """The declaration without `--private`."""
    playbook: str | None = None
    option = _OPTION.search(rest)
    if option:
        if option.group(1) != "playbook" or not option.group(2):
            raise BadCommand("The declare options are `--playbook <id>` and `--private`.")
        playbook = option.group(2)
        rest = (rest[: option.start()] + rest[option.end() :]).strip()
    words = rest.split(None, 1)
    if not words:
        raise BadCommand(
            "Usage: `/incident declare <severity> <title>`, or just `/incident declare`."
        )
    severity = find_severity(words[0])
    if severity is None and playbook is not None:
        # `declare --playbook payment-down Stripe is down`: the playbook's severity.
        return DeclareArgs(severity=None, title=rest.strip(), playbook=playbook)
    if severity is None:
        raise BadCommand(
            f"`{words[0]}` is not a severity. Usage: `/incident declare <severity> <title>`."
        )
    title = words[1].strip() if len(words) > 1 else ""
    if not title:
        raise BadCommand("Give the incident a title: `/incident declare <severity> <title>`.")
    return DeclareArgs(severity=severity, title=title, playbook=playbook)


def split_flag(rest: str, flag: str) -> tuple[bool, str]:
    """Whether `--<flag>` is present, and the text without it."""
    words = rest.split(" ")
    present = f"--{flag}" in words
    return present, " ".join(w for w in words if w != f"--{flag}").strip()


def parse_role_assignment(rest: str) -> tuple[str, str]:
    """Parse `<role words…> @user` into the role text and the user ID."""
    words = rest.split()
    if len(words) < 2:
        raise BadCommand("Usage: `/incident role <role> @user`.")
    return " ".join(words[:-1]), parse_user(words[-1])


def require_text(rest: str, usage: str) -> str:
    """The rest of the command, or a usage error when it is empty."""
    if not rest.strip():
        raise BadCommand(f"Usage: `{usage}`.")
    return rest.strip()
