"""bot.domain.pager: targets, severity mapping and backoff, from plain values; and the
settings that map target names to keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.domain import pager
from bot.domain.commands import parse_page_target
from bot.domain.errors import BadCommand
from bot.settings import Settings, describe_settings_error
from playbooks.loader import load_pack

PROD = load_pack("prod-100k")


def test_the_most_severe_level_is_critical_and_p1_and_the_rest_step_down():
    assert [pager.pagerduty_severity(rank) for rank in range(6)] == [
        "critical",
        "error",
        "warning",
        "info",
        "info",
        "info",
    ]
    assert [pager.opsgenie_priority(rank) for rank in range(7)] == [
        "P1",
        "P2",
        "P3",
        "P4",
        "P5",
        "P5",
        "P5",
    ]


def test_retries_double_from_10_seconds_up_to_5_minutes():
    delays = [pager.retry_delay(n) for n in (1, 2, 3, 5, 6, 40)]
    assert delays == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=40),
        timedelta(seconds=160),
        timedelta(minutes=5),
        timedelta(minutes=5),
    ]


def test_a_level_pages_only_the_targets_the_settings_give_a_key():
    level = PROD.escalation[0].model_copy(
        update={
            "page": ("pagerduty:primary-oncall", "opsgenie:platform", "pagerduty:primary-oncall")
        }
    )
    assert pager.level_targets(level, pagerduty={"primary-oncall"}, opsgenie=set()) == [
        pager.Target("pagerduty", "primary-oncall")
    ]
    assert pager.unknown_targets(PROD, pagerduty=set(), opsgenie=set()) == [
        "pagerduty:primary-oncall"
    ]
    assert pager.unknown_targets(PROD, pagerduty={"primary-oncall"}, opsgenie=set()) == []


@pytest.mark.parametrize(
    ("text", "expected"), [("1", 1), ("level2 now", 2), ("<@U123|bob>", "U123")]
)
def test_page_names_a_level_or_a_person(text, expected):
    assert parse_page_target(text) == expected


def test_page_refuses_anything_else():
    with pytest.raises(BadCommand, match="neither a level nor a person"):
        parse_page_target("everyone")


def _settings(**values: str) -> Settings:
    return Settings(_env_file=None, slack_bot_token="xoxb-1", slack_signing_secret="s", **values)  # type: ignore[call-arg]


def test_pager_keys_are_read_as_secrets_by_name():
    settings = _settings(
        pagerduty_routing_keys="primary-oncall=RKEY123456; payments = RKEY654321 ;",
        opsgenie_api_keys="platform=GKEY123456",
    )
    keys = settings.pagerduty_routing_keys
    assert {name: key.get_secret_value() for name, key in keys.items()} == {
        "primary-oncall": "RKEY123456",
        "payments": "RKEY654321",
    }
    assert "RKEY123456" not in repr(settings)
    assert {"RKEY123456", "RKEY654321", "GKEY123456"} <= set(settings.secrets)


def test_a_bad_key_list_is_named_without_echoing_the_key():
    with pytest.raises(ValidationError) as caught:
        _settings(opsgenie_api_keys="SECRETKEY-NO-NAME")
    line = describe_settings_error(caught.value)
    assert line.startswith("OPSGENIE_API_KEYS is invalid: expected NAME=KEY")
    assert "SECRETKEY" not in line
