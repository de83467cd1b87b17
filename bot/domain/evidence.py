"""Slack messages as timeline evidence: what an entry keeps of a message, and what a
declaration from a message is pre-filled with. Pure: Slack's message JSON in, plain values
out."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.text import clip, plain, unescape

MESSAGE_PINNED = "message_pinned"
DECLARED_FROM_MESSAGE = "declared_from_message"
PIN_REACTION = "pushpin"
TEXT_LIMIT = 300  # of the message, in the timeline line (the timeline shows 500 at most)
KEPT_TEXT_LIMIT = 1500  # of the message, in the event's data and a modal's metadata
FILES_LIMIT = 10
TITLE_LIMIT = 100
DESCRIPTION_LIMIT = 2900
METADATA_LIMIT = 3000  # Slack's limit on a view's private_metadata
_LABELED_LINK = re.compile(r"<(https?://[^<>|\s]+)\|([^<>]*)>")


@dataclass(frozen=True)
class FileLink:
    """A file or image of a message, kept as a link."""

    name: str
    url: str


@dataclass(frozen=True)
class SourceMessage:
    """A Slack message as the timeline keeps it (text unescaped, not yet made safe)."""

    channel: str
    ts: str
    author: str | None
    text: str
    files: tuple[FileLink, ...] = ()

    @property
    def posted_at(self) -> datetime:
        """When the message was posted: its ts is `<seconds>.<microseconds>` since the epoch
        (read exactly, not through a float)."""
        seconds, _, fraction = self.ts.partition(".")
        micros = int((fraction + "000000")[:6]) if fraction.isdigit() else 0
        whole = int(seconds) if seconds.isdigit() else 0
        return datetime.fromtimestamp(whole, UTC) + timedelta(microseconds=micros)


def source_message(channel: str, message: Mapping[str, Any]) -> SourceMessage:
    """What the timeline keeps of a message as Slack sends it (history, or a shortcut)."""
    author = message.get("user") or message.get("bot_id")
    return SourceMessage(
        channel=channel,
        ts=str(message.get("ts") or ""),
        author=str(author)[:32] if author else None,
        text=clip(unescape(str(message.get("text") or "")).strip(), KEPT_TEXT_LIMIT),
        files=_files(message.get("files")),
    )


def _files(files: Any) -> tuple[FileLink, ...]:
    """Each file's name and permalink (only plain http(s) links are kept)."""
    if not isinstance(files, list):
        return ()
    links = []
    for file in files[:FILES_LIMIT]:
        if not isinstance(file, dict):
            continue
        url = str(file.get("permalink") or file.get("url_private") or "")
        if url.startswith(("https://", "http://")) and not re.search(r"[\s<>|]", url):
            name = str(file.get("title") or file.get("name") or "file")
            links.append(FileLink(name=clip(" ".join(name.split()), 80), url=url))
    return tuple(links)


def timeline_text(message: SourceMessage, permalink: str) -> str:
    """The entry's line: the message on one line, clipped, then its link and its files."""
    parts = [clip(" ".join(message.text.split()), TEXT_LIMIT)] if message.text.strip() else []
    parts.append(f"<{permalink}>" if permalink else "")
    parts.extend(f"📎 {plain(f.name)} <{f.url}>" for f in message.files[:3])
    more = len(message.files) - 3
    if more > 0:
        parts.append(f"and {more} more files")
    return " · ".join(p for p in parts if p)


def event_data(
    message: SourceMessage, permalink: str, *, added_by: str, via: str
) -> dict[str, Any]:
    """The entry's data: where the message is, its link, its files, who added it and how."""
    return {
        "channel": message.channel,
        "ts": message.ts,
        "permalink": permalink,
        "message_text": message.text,
        "files": [{"name": f.name, "url": f.url} for f in message.files],
        "added_by": added_by,
        "via": via,
    }


def title_from(text: str) -> str:
    """A title for a declaration: the message's first non-blank line, without markup."""
    text = _LABELED_LINK.sub(lambda m: m.group(2), unescape(text))
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = plain(line).translate(str.maketrans("", "", "*~`"))  # bold, strike, code marks
    return clip(" ".join(line.split()), TITLE_LIMIT)


def description_from(message: SourceMessage, permalink: str) -> str:
    """A declaration's description: the message, then a link to it."""
    source = f"Declared from a message: {permalink}" if permalink else ""
    room = DESCRIPTION_LIMIT - len(source) - 2
    body = clip(message.text, max(room, 0)) if message.text else ""
    return "\n\n".join(p for p in (body, source) if p)


def encode_pick(message: SourceMessage, response_url: str) -> str:
    """The message and where to reply, as a modal's private_metadata (under Slack's limit;
    the text is cut to fit)."""
    text = message.text
    while True:
        encoded = json.dumps(
            {
                "channel": message.channel,
                "ts": message.ts,
                "author": message.author,
                "text": text,
                "files": [[f.name, f.url] for f in message.files[:5]],
                "response_url": response_url,
            },
            ensure_ascii=False,
        )
        if len(encoded) <= METADATA_LIMIT or not text:
            return encoded
        text = clip(text, max(len(text) - (len(encoded) - METADATA_LIMIT) - 20, 0))


def decode_pick(metadata: str) -> tuple[SourceMessage, str] | None:
    """The message and response_url `encode_pick` kept, or None when it is not that."""
    try:
        data = json.loads(metadata or "{}")
        files = tuple(FileLink(name=str(n), url=str(u)) for n, u in data.get("files") or [])
        message = SourceMessage(
            channel=str(data["channel"]),
            ts=str(data["ts"]),
            author=str(data["author"]) if data.get("author") else None,
            text=str(data.get("text") or ""),
            files=files,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return message, str(data.get("response_url") or "")


@dataclass(frozen=True)
class MessageLink:
    """Where a message is: what a declaration from a message records."""

    channel: str
    ts: str
    permalink: str


def declare_metadata(link: MessageLink) -> str:
    """The declare modal's private_metadata for a declaration from this message (its channel
    is where the declarer is told the incident's channel)."""
    return json.dumps(
        {
            "channel_id": link.channel,
            "source": {"channel": link.channel, "ts": link.ts, "permalink": link.permalink},
        }
    )


def declared_from(metadata: str) -> MessageLink | None:
    """The message a declare modal was opened from (`declare_metadata`), if any."""
    try:
        source = json.loads(metadata or "{}").get("source")
        link = MessageLink(str(source["channel"]), str(source["ts"]), str(source["permalink"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return link if link.channel and link.ts else None
