"""Pure text matching for packs: avoided phrases in messages, keywords in incident titles, and
the normalised names that severity and role lookups compare."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


def lookup_key(text: str) -> str:
    """Normalise a name for lookups: lower case, letters and digits only (`SEV-1` -> `sev1`)."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


@lru_cache(maxsize=1024)
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A case-insensitive pattern matching `phrase` as whole words, across any whitespace."""
    words = phrase.split()
    body = r"\s+".join(re.escape(word) for word in words)
    # Lookarounds rather than \b so phrases that begin or end in punctuation still work.
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def find_avoided_phrases(text: str, avoid: Iterable[str]) -> list[str]:
    """The phrases from `avoid` that occur in `text` as whole words, in `avoid` order, once each."""
    found: list[str] = []
    seen: set[str] = set()
    for phrase in avoid:
        key = " ".join(phrase.split()).casefold()
        if not key or key in seen:
            continue
        seen.add(key)
        if phrase_pattern(phrase).search(text):
            found.append(phrase)
    return found


def keyword_score(title: str, keywords: Iterable[str]) -> int:
    """Total length of the keywords found in `title` as whole words or phrases (0 = no match)."""
    return sum(
        len(" ".join(keyword.split()))
        for keyword in keywords
        if keyword.strip() and phrase_pattern(keyword).search(title)
    )
