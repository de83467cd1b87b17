"""Incident ID formats such as `INC-{YYYY}-{MM}-{DD}-{NNN}` (a pack's `incident_id_format`)."""

from __future__ import annotations

import re
from datetime import date

from playbooks.problems import PackValueError

ID_FORMAT_EXPECTED = (
    "text with placeholders {YYYY}, {MM}, {DD} and one sequence placeholder such as {NNN} "
    "(one N per zero-padded digit), e.g. INC-{YYYY}-{MM}-{DD}-{NNN}"
)
ID_LIMIT = 32  # the stored incident ID's length
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SEQUENCE = re.compile(r"N+")


def check_incident_id_format(template: str) -> str:
    """Return `template` if it is a valid incident ID format; raise PackValueError otherwise."""
    names = _PLACEHOLDER.findall(template)
    unknown = [n for n in names if n not in ("YYYY", "MM", "DD") and not _SEQUENCE.fullmatch(n)]
    if unknown:
        raise PackValueError(f"unknown placeholder {{{unknown[0]}}}", ID_FORMAT_EXPECTED)
    if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
        raise PackValueError(f"unbalanced braces in {template!r}", ID_FORMAT_EXPECTED)
    if sum(1 for n in names if _SEQUENCE.fullmatch(n)) != 1:
        raise PackValueError(
            f"{template!r} needs exactly one sequence placeholder", ID_FORMAT_EXPECTED
        )
    longest = _PLACEHOLDER.sub(lambda m: "0" * max(len(m[1]), 4 if m[1] == "YYYY" else 0), template)
    if len(longest) > ID_LIMIT:
        raise PackValueError(
            f"{template!r} makes IDs of {len(longest)} characters",
            f"IDs of at most {ID_LIMIT} characters",
        )
    return template


def format_incident_id(template: str, day: date, seq: int) -> str:
    """Fill an incident ID format for the `seq`-th incident (1-based) declared on `day`."""

    def fill(match: re.Match[str]) -> str:
        name = match[1]
        if name == "YYYY":
            return f"{day.year:04d}"
        if name == "MM":
            return f"{day.month:02d}"
        if name == "DD":
            return f"{day.day:02d}"
        return f"{seq:0{len(name)}d}"

    return _PLACEHOLDER.sub(fill, check_incident_id_format(template))
