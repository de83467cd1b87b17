"""Who may see a private incident where others are shown incidents too (lists, App Home)."""

from __future__ import annotations

from collections.abc import Collection


def may_see(viewer: str, private: bool, involved: Collection[str]) -> bool:
    """Everyone sees a public incident; a private one only the people it involves."""
    return not private or viewer in involved
