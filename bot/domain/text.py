"""Making user text safe to show in Slack: escaping, mentions and length limits."""

from __future__ import annotations

import re

ELLIPSIS = "…"
# What user text may keep: real user and channel mentions (Slack encodes them when a person
# picks someone from the list; they notify one person at most) and plain links.
_KEEP = re.compile(
    r"<@[UW][A-Z0-9_]+(?:\|[^<>]*)?>"
    r"|<#C[A-Z0-9]+(?:\|[^<>]*)?>"
    r"|<https?://[^<>|\s]+>"
)
# A link whose label hides where it goes: shown as the label followed by the real address.
_DISGUISED_LINK = re.compile(r"<(https?://[^<>|\s]+)\|([^<>]*)>")
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9_]+)(?:\|[^<>]*)?>")


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` so text cannot form links or special mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's escaping of `&`, `<` and `>` in text it sent us."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def safe_mrkdwn(text: str) -> str:
    """Escape user text but keep real user and channel mentions and plain links.

    Nothing in user text can page a group: `<!channel>`, `<!here>`, `<!everyone>` and
    `<!subteam^…>` are shown as inert text, and a link whose label hides its address is
    shown as the label with the real address after it. Slack escapes `&`, `<`, `>` in
    slash-command text, so it is unescaped first.
    """
    text = _DISGUISED_LINK.sub(lambda m: f"{m.group(2)} <{m.group(1)}>", unescape(text))
    out: list[str] = []
    last = 0
    for match in _KEEP.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def plain(text: str) -> str:
    """Text with every Slack markup bracket removed, e.g. for topics and channel names."""
    text = _USER_MENTION.sub(lambda m: f"@{m.group(1)}", unescape(text))
    return text.replace("<", "").replace(">", "")


def clip(text: str, limit: int) -> str:
    """Cut text to `limit` characters, ending in an ellipsis if it was cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Never leave half an escape sequence or a half mention behind.
    amp, lt = cut.rfind("&"), cut.rfind("<")
    if amp > cut.rfind(";"):
        cut = cut[:amp]
    if lt > cut.rfind(">"):
        cut = cut[:lt]
    return cut + ELLIPSIS
