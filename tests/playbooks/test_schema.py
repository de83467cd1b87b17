import json
import re

import pytest

from playbooks.durations import DURATION_PATTERN, parse_duration
from playbooks.schedule import SCHEDULE_PATTERN
from playbooks.schema import SCHEMA_PATH, build_schema, render_schema


def test_committed_schema_is_up_to_date() -> None:
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == render_schema(), "run: python -m playbooks.schema"


def test_schema_shape() -> None:
    schema = build_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {
        "id",
        "title",
        "severities",
        "roles",
        "playbooks",
        "comms",
        "incident_log",
    }
    step = schema["$defs"]["Step"]
    assert step["additionalProperties"] is False
    assert step["properties"]["kind"]["enum"] == ["action", "message", "check"]
    within = schema["$defs"]["Phase"]["properties"]["within"]["anyOf"][0]
    assert within == {
        "type": "string",
        "pattern": DURATION_PATTERN,
        "examples": ["5m", "1h", "4 business hours", "3 business days"],
    }
    json.dumps(schema)  # serialisable


def test_schema_patterns_agree_with_the_parsers() -> None:
    accepted = ("90s", "5m", "1h", "2d", "1 business day", "3 business days")
    accepted += ("1 business hour", "4 business hours")
    for text in accepted:
        assert re.fullmatch(DURATION_PATTERN, text)
        parse_duration(text)  # what the schema accepts, the loader accepts
    refused = ("0m", "5 m", "05m", "3 days", "0 business hours", "4 business hrs", "4 hours")
    for text in refused:
        assert not re.fullmatch(DURATION_PATTERN, text)
        with pytest.raises(ValueError):
            parse_duration(text)
    for text in ("daily 09:00", "weekdays 23:59", "on_resolve"):
        assert re.fullmatch(SCHEDULE_PATTERN, text)
    for text in ("daily 9:00", "daily 24:00"):
        assert not re.fullmatch(SCHEDULE_PATTERN, text)
