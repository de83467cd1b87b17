"""`validate` command for pack files; the bot's `python -m bot playbooks validate PATH` calls it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from playbooks.loader import PackError, load_pack


def validate_command(path: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Validate one pack file (or built-in pack id) and report; returns 0 if valid, 2 if not.

    Args:
        path: a pack file path, or a built-in pack id such as `quickmela`.
        out: where the `OK ...` line goes (default: sys.stdout).
        err: where the problem lines go (default: sys.stderr).

    Example:
        >>> validate_command("playbooks/packs/default.yml")  # doctest: +SKIP
        OK playbooks/packs/default.yml: pack default (4 severities, 4 roles, 2 playbooks)
        0
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        pack = load_pack(path)
    except PackError as exc:
        print(str(exc), file=err)
        return 2
    counts = (
        f"{len(pack.severities)} severities, {len(pack.roles)} roles, "
        f"{len(pack.playbooks)} playbooks"
    )
    print(f"OK {path}: pack {pack.id} ({counts})", file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `python -m playbooks.cli validate PATH...`."""
    parser = argparse.ArgumentParser(prog="python -m playbooks.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="validate pack files or built-in pack ids")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    args = parser.parse_args(argv)
    return max(validate_command(path) for path in args.paths)


if __name__ == "__main__":
    raise SystemExit(main())
