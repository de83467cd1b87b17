"""Incident IDs and Slack channel names."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from playbooks.incident_ids import format_incident_id

MAX_CHANNEL_NAME = 80
_NON_SLUG = re.compile(r"[^a-z0-9]+")


DEFAULT_ID_FORMAT = "INC-{YYYY}-{MM}-{DD}-{NNN}"


def incident_id(day: date, seq: int, id_format: str | None = None) -> str:
    """Format the incident ID with the pack's format, by default `INC-2026-11-22-007`."""
    return format_incident_id(id_format or DEFAULT_ID_FORMAT, day, seq)


def slugify(text: str, *, max_length: int = MAX_CHANNEL_NAME) -> str:
    """Lowercase ASCII words joined by hyphens, cut at a word boundary when possible."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) <= max_length:
        return slug
    cut = slug[:max_length]
    if "-" in cut and slug[max_length] != "-":
        cut = cut.rsplit("-", 1)[0]
    return cut.strip("-")


def channel_name(day: date, seq: int, title: str) -> str:
    """The incident channel name: `inc-YYYYMMDD-NNN-<slug>`, valid for Slack."""
    prefix = f"inc-{day:%Y%m%d}-{seq:03d}"
    slug = slugify(title, max_length=MAX_CHANNEL_NAME - len(prefix) - 1)
    return f"{prefix}-{slug}" if slug else prefix


def with_suffix(name: str, attempt: int) -> str:
    """A variant of `name` for a retry after `name_taken`, still within 80 characters."""
    if attempt <= 1:
        return name
    suffix = f"-{attempt}"
    return name[: MAX_CHANNEL_NAME - len(suffix)].rstrip("-") + suffix
