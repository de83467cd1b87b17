"""Load packs from YAML, turning every failure into a `PackError` with one line per problem.

A line reads `<file>: <key path>: <what is wrong>; expected <what was expected>`, e.g.
`ops.yml: playbooks[2].phases[0].steps[3].role: no role has id 'sre'; expected one of ...`.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from playbooks.checks import pack_problems
from playbooks.durations import DURATION_EXPECTED, Duration
from playbooks.model import Pack
from playbooks.paging import page_phases
from playbooks.problems import VALUE_ERROR_TYPE, Loc, Problem, describe_value
from playbooks.schedule import SCHEDULE_EXPECTED, Schedule

PACKS_DIR = Path(__file__).with_name("packs")


class PackError(Exception):
    """A pack could not be loaded; `str()` gives one `<file>: <path>: ...` line per problem."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__("\n".join(self.lines))

    @property
    def lines(self) -> list[str]:
        """One line per problem."""
        return [f"{self.source}: {problem}" for problem in self.problems]

    def __str__(self) -> str:
        return "\n".join(self.lines)


def builtin_pack_ids() -> list[str]:
    """Ids of the packs shipped in `playbooks/packs/`, sorted."""
    return sorted(path.stem for path in PACKS_DIR.glob("*.yml"))


def load_pack(ref: str | Path) -> Pack:
    """Load a built-in pack by id (e.g. `quickmela`) or a pack file by path."""
    path = _resolve(ref)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PackError(str(path), [_file_problem(f"cannot read it ({reason})")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = f"byte {exc.start} is not UTF-8"
        raise PackError(str(path), [Problem(_FILE, problem, "a UTF-8 text file")]) from None
    return parse_pack(text, str(path))


def parse_pack(text: str, source: str = "<string>") -> Pack:
    """Parse and validate pack YAML; `source` names it in error messages.

    Cross-references are checked only once every field is valid, as the fields' problems may
    be their cause.
    """
    try:
        data = yaml.load(text, Loader=_PackLoader)  # _PackLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise PackError(source, [_yaml_problem(exc)]) from None
    if data is None:
        raise PackError(source, [Problem((), "the file is empty", _MAPPING_EXPECTED)])
    if not isinstance(data, dict):
        got = describe_value(data)
        raise PackError(source, [Problem((), f"the top level is {got}", _MAPPING_EXPECTED)])
    try:
        pack = Pack.model_validate(data)
    except ValidationError as exc:
        raise PackError(source, validation_problems(exc)) from None
    problems = pack_problems(pack)
    if problems:
        raise PackError(source, problems)
    return page_phases(pack)


def validation_problems(exc: ValidationError) -> list[Problem]:
    """Translate a pydantic ValidationError about a Pack into located problems."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc: Loc = tuple(error["loc"])
        ctx = error.get("ctx") or {}
        kind = error["type"]
        if kind == VALUE_ERROR_TYPE:
            problems.append(Problem(loc, ctx["problem"], ctx["expected"]))
        elif kind == "too_short" and _long_enough(error.get("input"), ctx.get("min_length", 1)):
            # pydantic also reports a tuple as too short when its items failed; those items'
            # own errors are the real problem.
            continue
        else:
            problems.append(_builtin_problem(kind, loc, error, ctx))
    return problems


_MAPPING_EXPECTED = (
    "a mapping with keys id, title, severities, roles, playbooks, comms, incident_log"
)
_FILE: Loc = ("(file)",)


def _long_enough(value: object, minimum: int) -> bool:
    return isinstance(value, list | tuple) and len(value) >= minimum


def _resolve(ref: str | Path) -> Path:
    if isinstance(ref, Path):
        return ref
    looks_like_path = any(sep in ref for sep in ("/", "\\")) or ref.endswith((".yml", ".yaml"))
    if looks_like_path or Path(ref).is_file():
        return Path(ref)
    builtin = PACKS_DIR / f"{ref}.yml"
    if builtin.is_file():
        return builtin
    raise PackError(ref, [_file_problem(f"no built-in pack or file is named {ref!r}")])


def _file_problem(problem: str) -> Problem:
    ids = ", ".join(builtin_pack_ids())
    return Problem(_FILE, problem, f"a readable pack file or a built-in pack id ({ids})")


class _PackLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate keys instead of silently keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key; the base class reports it
                continue
            if duplicate:
                raise _DuplicateKeyError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _DuplicateKeyError(yaml.constructor.ConstructorError):
    pass


def _yaml_problem(exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    where: Loc = (f"line {mark.line + 1}, column {mark.column + 1}",) if mark else ()
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if isinstance(exc, _DuplicateKeyError):
        return Problem(where, problem, "each key at most once in a mapping")
    if "'\\t'" in problem:
        return Problem(where, "found a tab character", "spaces for indentation (YAML forbids tabs)")
    context = getattr(exc, "context", None)
    detail = f"{problem} ({context})" if context else problem
    expected = "valid YAML (check the indentation and quoting around this point)"
    return Problem(where, f"YAML syntax error: {detail}", expected)


def _builtin_problem(kind: str, loc: Loc, error: Any, ctx: dict[str, Any]) -> Problem:
    """Describe one of pydantic's own errors in pack terms."""
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        keys = ", ".join(model.model_fields) if model else "the keys in playbooks/FORMAT.md"
        return Problem(loc, f"unknown key {loc[-1]!r}", f"one of the keys: {keys}")
    if kind == "missing":
        return Problem(loc, f"required key {loc[-1]!r} is missing", _describe(_annotation_at(loc)))
    if kind == "too_short":
        minimum = ctx.get("min_length", 1)
        item = "item" if minimum == 1 else "items"
        return Problem(loc, "the list is too short", f"at least {minimum} {item}")
    if kind in ("greater_than_equal", "greater_than"):
        limit = ctx.get("ge", ctx.get("gt"))
        return Problem(loc, f"got {describe_value(error.get('input'))}", f"a number >= {limit}")
    annotation = _annotation_at(loc)
    if annotation is not None:
        return Problem(loc, f"got {describe_value(error.get('input'))}", _describe(annotation))
    return Problem(loc, str(error["msg"]), "a value as described in playbooks/FORMAT.md")


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and `| None` to reach the underlying type."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _annotation_at(loc: Loc) -> Any:
    """The declared type at a key path inside a Pack, or None if the path leaves the model."""
    current: Any = Pack
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            if get_origin(current) not in (tuple, list):
                return None
            current = get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        else:
            return None
    return current


def _model_at(loc: Loc) -> type[BaseModel] | None:
    found = _unwrap(_annotation_at(loc))
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def _describe(annotation: Any) -> str:
    """Say in pack terms what a value of this type looks like."""
    target = _unwrap(annotation)
    origin = get_origin(target)
    if target is str:
        return "a string (quote it if YAML reads it as a number, date or boolean)"
    if target is bool:
        return "true or false"
    if target is int:
        return "a whole number"
    if target is Duration:
        return DURATION_EXPECTED
    if target is Schedule:
        return SCHEDULE_EXPECTED
    if origin is Literal:
        return "one of " + ", ".join(repr(option) for option in get_args(target))
    if origin in (tuple, list):
        item = _unwrap(get_args(target)[0])
        if isinstance(item, type) and issubclass(item, BaseModel):
            return f"a list of mappings (each {_describe(item)})"
        return "a list of strings" if item is str else "a list"
    if isinstance(target, type) and issubclass(target, BaseModel):
        required = [name for name, f in target.model_fields.items() if f.is_required()]
        return "a mapping with keys " + ", ".join(required)
    return "a value as described in playbooks/FORMAT.md"
