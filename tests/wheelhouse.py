"""Wheels of the distributions installed in this venv, for installing the project into a fresh
venv without the network: `pip install --no-index --find-links <wheelhouse> .`.

A wheel is a zip of its files and a `*.dist-info` folder. An installed distribution lists its
files in the RECORD it was installed from, so the wheel is rebuilt from them: the files under
site-packages (scripts in bin/ are left out; pip writes them again from entry_points.txt),
the original WHEEL (its tags say which platforms it is for) and a new RECORD.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import zipfile
from importlib.metadata import Distribution, distribution
from pathlib import Path

from packaging.requirements import Requirement


def closure(requirements: list[str]) -> list[Distribution]:
    """The installed distributions these requirements need, with theirs (markers and extras
    evaluated for this interpreter)."""
    wanted: dict[str, Distribution] = {}
    queue = [(Requirement(text), "") for text in requirements]
    while queue:
        requirement, extra = queue.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        installed = distribution(requirement.name)
        name = _normalized(installed.metadata["Name"])
        for chosen in requirement.extras:
            queue += [(Requirement(text), chosen) for text in installed.requires or []]
        if name in wanted:
            continue
        wanted[name] = installed
        queue += [(Requirement(text), "") for text in installed.requires or []]
    return list(wanted.values())


def rebuild_wheel(dist: Distribution, into: Path) -> Path:
    """Write `dist` as a wheel in `into`; returns its path."""
    site = Path(str(dist.locate_file("")))
    members = [
        Path(str(file))
        for file in dist.files or []
        if not str(file).startswith("..") and "__pycache__" not in Path(str(file)).parts
    ]
    info = next(m.parts[0] for m in members if m.parts[0].endswith(".dist-info"))
    name, version = _normalized(dist.metadata["Name"]), dist.version
    path = into / f"{name}-{version}-{_tag(site / info / 'WHEEL')}.whl"
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as wheel:
        for member in members:
            if member.name == "RECORD" and member.parent.name == info:
                continue
            data = (site / member).read_bytes()
            wheel.writestr(member.as_posix(), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            writer.writerow([member.as_posix(), f"sha256={digest.decode()}", len(data)])
        writer.writerow([f"{info}/RECORD", "", ""])
        wheel.writestr(f"{info}/RECORD", record.getvalue())
    return path


def wheelhouse(requirements: list[str], into: Path) -> Path:
    """A folder of wheels for these requirements and all they need, rebuilt from this venv."""
    into.mkdir(parents=True, exist_ok=True)
    for dist in closure(requirements):
        rebuild_wheel(dist, into)
    return into


def _tag(wheel_file: Path) -> str:
    """The distribution's `Tag:` lines as a wheel's name carries them: `py2.py3-none-any`."""
    tags = re.findall(r"^Tag: (\S+)$", wheel_file.read_text(), flags=re.MULTILINE)
    parts = [tag.split("-") for tag in tags]
    return "-".join(".".join(dict.fromkeys(part[i] for part in parts)) for i in range(3))


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()
