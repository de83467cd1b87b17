"""The nine alert thresholds of seed 004 (prod-100k), evaluated by pure code."""

from datetime import timedelta

import pytest

from bot.domain.alert_rules import Observation, describe, met, rules_met, severity_for
from playbooks.loader import load_pack

PACK = load_pack("prod-100k")
MIN = timedelta(minutes=1)

# (metric, a value that meets the rule, one that does not, the duration, the priority)
NINE = [
    ("payment_success_rate", 94.9, 95.0, 10 * MIN, "p0"),
    ("response_time", 501, 500, 2 * MIN, "p1"),
    ("error_rate", 1.01, 1.0, 5 * MIN, "p1"),
    ("memory_usage", 95.5, 95.0, 2 * MIN, "p1"),
    ("database_connections", 91, 90, 5 * MIN, "p1"),
    ("registration_failures", 5.5, 5.0, 15 * MIN, "p1"),
    ("message_delivery_failures", 2.5, 2.0, 10 * MIN, "p1"),
    ("cpu_usage", 90.1, 90.0, 5 * MIN, "p2"),
    ("search_errors", 3.1, 3.0, 15 * MIN, "p2"),
]


def test_the_pack_holds_the_nine_rules_of_the_source():
    assert [(r.metric, r.severity) for r in PACK.alert_rules] == [(m, p) for m, *_, p in NINE]
    assert describe(PACK.alert_rules[0]) == "Payment success rate < 95% for 10m"
    assert describe(PACK.alert_rules[1]) == "Response time > 500ms for 2m"


@pytest.mark.parametrize(("metric", "bad", "fine", "lasting", "priority"), NINE)
def test_each_rule_sets_its_priority_once_the_condition_has_lasted(
    metric, bad, fine, lasting, priority
):
    assert severity_for(PACK, [Observation(metric, bad, lasting)]) == priority
    # Not yet long enough, or not past the threshold (the threshold itself is not past it).
    assert severity_for(PACK, [Observation(metric, bad, lasting - timedelta(seconds=1))]) is None
    assert severity_for(PACK, [Observation(metric, fine, lasting * 10)]) is None


def test_a_rule_only_reads_its_own_metric():
    payment = PACK.alert_rules[0]
    assert not met(payment, Observation("error_rate", 0.0, timedelta(hours=1)))


def test_the_most_severe_of_the_rules_met_wins():
    observations = [
        Observation("cpu_usage", 99, 10 * MIN),  # P2
        Observation("error_rate", 7, 10 * MIN),  # P1
        Observation("payment_success_rate", 80, 30 * MIN),  # P0
    ]
    assert [r.metric for r in rules_met(PACK.alert_rules, observations)] == [
        "payment_success_rate",
        "error_rate",
        "cpu_usage",
    ]
    assert severity_for(PACK, observations) == "p0"
    assert severity_for(PACK, observations[:2]) == "p1"
    assert severity_for(PACK, []) is None


def test_packs_without_rules_set_nothing():
    assert severity_for(load_pack("default"), [Observation("error_rate", 50, 60 * MIN)]) is None
