"""Generate `playbooks/schema.json` from the pack model: `python -m playbooks.schema`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playbooks.model import Pack

SCHEMA_PATH = Path(__file__).with_name("schema.json")
SCHEMA_ID = "urn:incident-bot:playbook-pack"


def build_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for a pack file."""
    generated = Pack.model_json_schema()
    generated.pop("title", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Incident bot playbook pack",
        **generated,
    }


def render_schema() -> str:
    """The schema as the exact text committed in schema.json."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    """Regenerate schema.json (or write it to `path`) and return where it went."""
    path.write_text(render_schema(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write_schema()}")
