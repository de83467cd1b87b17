"""Problems found in a pack: where (a key path), what is wrong, and what was expected.

Value types (durations, schedules, ids) raise `PackValueError`; the model turns those into
pydantic errors that keep both halves, and the loader turns every error into a `Problem`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pydantic_core import PydanticCustomError

Loc = tuple[str | int, ...]

#: pydantic error type for one malformed value; ctx has `problem` and `expected`.
VALUE_ERROR_TYPE = "pack_value"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack, located by its key path."""

    loc: Loc
    problem: str
    expected: str

    @property
    def path(self) -> str:
        """The key path written like `playbooks[2].phases[0].steps[3].role`."""
        return format_loc(self.loc)

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}; expected {self.expected}"


class PackValueError(ValueError):
    """A malformed value: says what is wrong and what was expected."""

    def __init__(self, problem: str, expected: str) -> None:
        super().__init__(f"{problem}; expected {expected}")
        self.problem = problem
        self.expected = expected


def format_loc(loc: Sequence[str | int]) -> str:
    """Render a location tuple as a key path; the empty path is `(top level)`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def describe_value(value: object) -> str:
    """Describe a parsed YAML value the way a pack author would recognise it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        return f"{value} (a number)"
    if isinstance(value, datetime | date):
        return f"{value.isoformat()} (a date)"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def value_error(exc: PackValueError) -> PydanticCustomError:
    """Wrap a `PackValueError` so pydantic reports it with both halves intact."""
    return PydanticCustomError(
        VALUE_ERROR_TYPE,
        "{problem}; expected {expected}",
        {"problem": exc.problem, "expected": exc.expected},
    )
