"""The import layering: storage and playbooks never import the bot, and no modules import each
other in a cycle. Every import statement counts, including those under `if TYPE_CHECKING:` and
inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage", "playbooks", "sandbox")
LOWER_LAYERS = ("storage", "playbooks")


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:  # run by Alembic, never imported by the bot
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules that `name` imports (`from a.b import c` counts as a.b.c if that is
    a module, else a.b)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycle_from(start: str, graph: dict[str, set[str]], done: set[str]) -> list[str] | None:
    """A cycle reachable from `start`, as a path that ends where it begins, or None."""
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph[node]):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    return visit(start)


def test_storage_and_playbooks_do_not_import_the_bot() -> None:
    graph = _graph()
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        if name.split(".")[0] in LOWER_LAYERS
        for target in targets
        if target.split(".")[0] not in LOWER_LAYERS
    )
    assert wrong == []


def test_no_import_cycles() -> None:
    graph = _graph()
    assert "playbooks.model" in graph and "storage.models" in graph  # the walk found them
    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            cycle = _cycle_from(name, graph, done)
            assert cycle is None, " -> ".join(cycle)


def test_handlers_never_import_storage() -> None:
    graph = _graph()
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        if name.split(".")[0] == "handlers"
        for target in targets
        if target.split(".")[0] == "storage"
    )
    assert wrong == []


def test_domain_and_blocks_do_no_io() -> None:
    """The pure layers never import Slack, the database, aiohttp or the services."""
    graph = _graph()
    io = ("storage", "handlers", "bot.services", "bot.server", "bot.app", "bot.deps")
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        if name.startswith(("bot.domain", "bot.blocks"))
        for target in targets
        if target.startswith(io)
    )
    assert wrong == []


def test_only_the_entry_point_imports_the_sandbox() -> None:
    """The bot runs the same with or without the sandbox: only `python -m bot` chooses it."""
    graph = _graph()
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        if name.split(".")[0] != "sandbox" and name != "bot.__main__"
        for target in targets
        if target.split(".")[0] == "sandbox"
    )
    assert wrong == []
    assert "sandbox.app" in graph["bot.__main__"]
