"""The three alert intake formats, parsed into IncomingAlerts; the example bodies live in
tests/alerts/ (the README's curl examples send the same)."""

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.alert_formats import (
    parse_alertmanager,
    parse_for,
    parse_generic,
    parse_grafana,
    parse_number,
    safe_link,
    stable_hash,
)
from bot.domain.alert_rules import Observation
from bot.domain.alerts import BadAlert, group_of, severity_of
from playbooks.loader import load_pack

PACK = load_pack("prod-100k")
GROUPING = PACK.alert_grouping.labels
EXAMPLES = Path(__file__).resolve().parent.parent / "alerts"
MIN = timedelta(minutes=1)


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def alertmanager_body(**alert: object) -> dict:
    """A one-alert Alertmanager body whose alert has the given fields."""
    fields = {"status": "firing", "labels": {"alertname": "Test"}} | alert
    return {"version": "4", "groupKey": "{}:{}", "status": "firing", "alerts": [fields]}


# --- Alertmanager ---------------------------------------------------------------------------


def test_an_alertmanager_group_gives_one_alert_per_entry_with_the_group_key():
    firing, resolved = parse_alertmanager(example("alertmanager"))

    assert firing.fingerprint == "6f1c0e9d2b7a4c35"
    assert firing.status == "firing"
    assert firing.group_key == '{}/{team="payments"}:{service="payments"}'
    assert firing.title == "Payment success rate is 93.1% (below 95%)"
    assert firing.labels["service"] == "payments"
    assert firing.link is not None and firing.link.startswith("https://prometheus.example.com/")
    # Nanoseconds are cut to microseconds; the time is in UTC.
    assert firing.starts_at == datetime(2026, 3, 2, 14, 5, 12, 481516, tzinfo=UTC)
    assert firing.observations == (Observation("payment_success_rate", 93.1, 10 * MIN),)

    assert resolved.fingerprint == "a03b5e71c4d2f980"
    assert resolved.status == "resolved"
    assert resolved.group_key == firing.group_key
    assert resolved.title == "p99 latency of POST /charge is above 500 ms"  # first line
    assert resolved.observations == ()


def test_alertmanager_alerts_take_the_pack_severity_from_values_or_labels():
    firing, resolved = parse_alertmanager(example("alertmanager"))

    assert severity_of(firing, PACK) == "p0"  # payment success rate 93.1 % for 10 minutes
    assert severity_of(resolved, PACK) == "p1"  # label severity: P1


def test_a_metric_value_counts_only_once_it_has_lasted_the_rules_duration():
    body = alertmanager_body(
        labels={"alertname": "Pay", "metric": "payment_success_rate"},
        annotations={"value": "93", "for": "9m"},
    )
    assert severity_of(parse_alertmanager(body)[0], PACK) is None
    body["alerts"][0]["annotations"]["for"] = "10m"
    assert severity_of(parse_alertmanager(body)[0], PACK) == "p0"
    del body["alerts"][0]["annotations"]["for"]  # no `for`: it has lasted no time at all
    assert parse_alertmanager(body)[0].observations == (
        Observation("payment_success_rate", 93.0, timedelta(0)),
    )


def test_the_metric_can_be_named_by_name_label_and_for_by_a_label():
    body = alertmanager_body(
        labels={"__name__": "response_time", "for": "2m"}, annotations={"value": "612ms"}
    )
    (alert,) = parse_alertmanager(body)
    assert alert.observations == (Observation("response_time", 612.0, 2 * MIN),)
    assert severity_of(alert, PACK) == "p1"


@pytest.mark.parametrize(
    ("annotations", "observations"),
    [
        ({"value": "lots"}, ()),  # not a number: the alert still comes in, without a value
        ({"value": "NaN"}, ()),
        ({"value": "97", "for": "soon"}, (Observation("cpu_usage", 97.0, timedelta(0)),)),
        ({}, ()),
    ],
)
def test_a_value_that_cannot_be_read_is_left_out_not_refused(annotations, observations):
    body = alertmanager_body(labels={"metric": "cpu_usage"}, annotations=annotations)
    assert parse_alertmanager(body)[0].observations == observations


def test_without_a_metric_label_a_value_is_no_observation():
    body = alertmanager_body(annotations={"value": "93"})
    assert parse_alertmanager(body)[0].observations == ()


def test_the_title_falls_back_to_the_alertname_then_the_fingerprint():
    assert parse_alertmanager(alertmanager_body())[0].title == "Test"
    body = alertmanager_body(labels={}, fingerprint="abc123")
    assert parse_alertmanager(body)[0].title == "Alert abc123"


def test_without_a_fingerprint_the_sorted_labels_make_a_stable_one():
    one = parse_alertmanager(alertmanager_body(labels={"a": "1", "b": "2"}))[0]
    same = parse_alertmanager(alertmanager_body(labels={"b": "2", "a": "1"}))[0]
    other = parse_alertmanager(alertmanager_body(labels={"a": "1", "b": "3"}))[0]

    assert one.fingerprint == same.fingerprint == stable_hash("a=1", "b=2")
    assert len(one.fingerprint) == 16
    assert other.fingerprint != one.fingerprint


@pytest.mark.parametrize(
    ("starts_at", "expected"),
    [
        ("0001-01-01T00:00:00Z", None),  # Go's zero time: Alertmanager's "not set"
        (None, None),
        ("2026-03-02T15:00:00+01:00", datetime(2026, 3, 2, 14, 0, tzinfo=UTC)),
        ("2026-03-02T14:00:00.5z", datetime(2026, 3, 2, 14, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_starts_at_is_an_rfc3339_time_in_utc_or_none(starts_at, expected):
    assert parse_alertmanager(alertmanager_body(startsAt=starts_at))[0].starts_at == expected


def test_the_end_time_is_not_read_so_the_zero_end_of_a_firing_alert_is_fine():
    body = alertmanager_body(endsAt="0001-01-01T00:00:00Z")
    assert parse_alertmanager(body)[0].status == "firing"


def test_alerts_of_one_alertmanager_group_share_an_incident_group():
    alerts = parse_alertmanager(example("alertmanager"))
    assert {group_of(alert, GROUPING) for alert in alerts} == {
        '{}/{team="payments"}:{service="payments"}'
    }


# --- Grafana --------------------------------------------------------------------------------


def test_a_grafana_alert_reads_its_first_value_and_links_the_dashboard():
    (alert,) = parse_grafana(example("grafana"))

    assert alert.fingerprint == "d5a8c1f0b2e37746"
    assert alert.status == "firing"
    assert alert.title == "Checkout error rate above 1%"
    assert alert.group_key.startswith("{}/{__grafana_autogenerated__=")
    assert alert.link == "https://grafana.example.com/d/checkout-overview?orgId=1"
    assert alert.starts_at == datetime(2026, 3, 2, 13, 10, tzinfo=UTC)
    assert alert.observations == (Observation("error_rate", 2.37, 5 * MIN),)
    assert severity_of(alert, PACK) == "p1"  # error rate above 1 % for 5 minutes


def test_older_grafana_sends_value_string_instead_of_values():
    body = example("grafana")
    raw = body["alerts"][0]
    del raw["values"]
    raw["valueString"] = (
        "[ var='B' labels={service=checkout} value=2.37 ], "
        "[ var='C' labels={service=checkout} value=1 ]"
    )
    assert parse_grafana(body)[0].observations == (Observation("error_rate", 2.37, 5 * MIN),)
    raw["valueString"] = "[ metric='' labels={} value=NaN ]"
    assert parse_grafana(body)[0].observations == ()


def test_grafana_values_count_only_when_the_metric_label_names_the_rule_metric():
    body = example("grafana")
    del body["alerts"][0]["labels"]["metric"]
    assert parse_grafana(body)[0].observations == ()


def test_grafana_skips_values_that_are_not_numbers():
    body = example("grafana")
    body["alerts"][0]["values"] = {"A": None, "B": True, "C": 0.4}
    assert parse_grafana(body)[0].observations == (Observation("error_rate", 0.4, 5 * MIN),)


def test_grafana_links_fall_back_to_the_panel_then_the_rule():
    body = example("grafana")
    raw = body["alerts"][0]
    raw["dashboardURL"] = ""  # what Grafana sends for a rule without a dashboard
    assert parse_grafana(body)[0].link == raw["panelURL"]
    raw["panelURL"] = ""
    assert parse_grafana(body)[0].link == raw["generatorURL"]
    raw["generatorURL"] = "javascript:alert(1)"
    assert parse_grafana(body)[0].link is None


# --- generic --------------------------------------------------------------------------------


def test_a_generic_alert_alone_with_defaults():
    (alert,) = parse_generic({"title": "Checkout is down", "labels": {"service": "checkout"}})

    assert alert.title == "Checkout is down"
    assert alert.status == "firing"
    assert alert.fingerprint == stable_hash("Checkout is down", "")
    assert alert.group_key == ""
    assert alert.labels == {"service": "checkout"}
    assert alert.observations == ()
    assert alert.link is None
    assert group_of(alert, GROUPING) == "service=checkout"
    assert severity_of(alert, PACK) is None


def test_the_generic_list_form_from_the_example_file():
    payments, search = parse_generic(example("generic"))

    assert payments.fingerprint == "payments-success-rate"
    assert payments.labels == {"service": "payments", "env": "prod", "source": "synthetic-checks"}
    assert payments.observations == (Observation("payment_success_rate", 93.4, 12 * MIN),)
    assert payments.link == "https://status.example.com/checks/payments"
    assert severity_of(payments, PACK) == "p0"
    assert group_of(payments, GROUPING) == "service=payments"

    assert search.labels["severity"] == "P2"
    assert severity_of(search, PACK) == "p2"
    assert group_of(search, GROUPING) == "search-degradation"


def test_a_generic_severity_label_names_the_pack_severity():
    (alert,) = parse_generic({"title": "Logins slow", "severity": "P1"})
    assert alert.labels == {"severity": "P1"}
    assert severity_of(alert, PACK) == "p1"
    # The field wins over a label of the same name.
    (alert,) = parse_generic({"title": "x", "severity": "P0", "labels": {"severity": "P3"}})
    assert severity_of(alert, PACK) == "p0"


def test_the_default_dedup_key_is_the_same_for_the_same_title_and_source():
    first = parse_generic({"title": "Disk full", "source": "db-1"})[0]
    again = parse_generic({"title": "Disk full", "source": "db-1", "status": "resolved"})[0]
    elsewhere = parse_generic({"title": "Disk full", "source": "db-2"})[0]

    assert first.fingerprint == again.fingerprint
    assert again.status == "resolved"
    assert elsewhere.fingerprint != first.fingerprint


def test_generic_metrics_share_one_duration_and_the_worst_rule_wins():
    (alert,) = parse_generic(
        {
            "title": "Payments degraded",
            "metrics": {"error_rate": "3.5%", "payment_success_rate": 90, "cpu_usage": 99},
            "for": "1h30m",
        }
    )
    assert [o.lasted for o in alert.observations] == [90 * MIN] * 3
    assert severity_of(alert, PACK) == "p0"


def test_an_empty_generic_list_is_no_alerts():
    assert parse_generic({"alerts": []}) == []


# --- untrusted text -------------------------------------------------------------------------


def test_titles_and_labels_are_clipped_and_made_one_line():
    (alert,) = parse_generic(
        {"title": "Down\n\n  " + "x" * 400, "labels": {"service": "s" * 500, "k" * 300: "v"}}
    )
    assert len(alert.title) == 300 and alert.title.startswith("Down xxx")
    assert alert.title.endswith("…")
    assert len(alert.labels["service"]) == 200
    assert all(len(name) <= 200 for name in alert.labels)


def test_keys_too_long_for_storage_are_replaced_by_their_hash():
    (alert,) = parse_generic({"title": "t", "dedup_key": "k" * 201, "group": "g" * 301})
    assert alert.fingerprint.startswith("sha256:") and len(alert.fingerprint) == 71
    assert alert.group_key.startswith("sha256:")
    (same,) = parse_generic({"title": "u", "dedup_key": "k" * 201, "group": "g" * 301})
    assert (same.fingerprint, same.group_key) == (alert.fingerprint, alert.group_key)


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "ftp://files.example.com/x",
        "https://",
        "https://example.com/a b",
        "<https://evil.example.com|https://good.example.com>",
        "https://example.com/" + "x" * 2000,
        42,
    ],
)
def test_a_link_that_is_not_plain_http_is_dropped(link):
    assert safe_link(link) is None
    assert parse_generic({"title": "t", "link": link})[0].link is None


def test_http_and_https_links_are_kept():
    assert safe_link("http://localhost:9090/graph") == "http://localhost:9090/graph"
    assert safe_link("https://grafana.example.com/d/x?a=1&b=2") is not None


# --- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lasted"),
    [("90s", 90), ("10m", 600), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), ("0s", 0)],
)
def test_durations_read_like_prometheus_for(text, lasted):
    assert parse_for(text) == timedelta(seconds=lasted)


@pytest.mark.parametrize("text", ["", "10", "m", "10 minutes", "-5m", "1.5h"])
def test_what_is_not_a_duration(text):
    with pytest.raises(ValueError):
        parse_for(text)


@pytest.mark.parametrize(
    ("value", "number"), [(93, 93.0), (93.1, 93.1), ("93.1%", 93.1), (" 250ms ", 250.0)]
)
def test_numbers_may_carry_a_percent_or_ms_suffix(value, number):
    assert parse_number(value) == number


@pytest.mark.parametrize("value", [True, None, "high", "inf", "nan", [1], 10**400])
def test_what_is_not_a_number(value):
    with pytest.raises(ValueError):
        parse_number(value)


# --- malformed bodies -----------------------------------------------------------------------


def _alertmanager_with(change) -> dict:
    body = copy.deepcopy(example("alertmanager"))
    change(body)
    return body


MALFORMED_MONITORING = [
    ([], "body: must be an object"),
    ("alerts", "body: must be an object"),
    ({"version": "4"}, "alerts: missing"),
    ({"alerts": {"0": {}}}, "alerts: must be a list, not {'0': {}}"),
    ({"alerts": ["firing"]}, "alerts[0]: must be an object"),
    (
        {"alerts": [{"status": "firing"}] * 1001},
        "alerts: 1001 alerts, at most 1000 in one request",
    ),
    (
        {"alerts": [{"status": "firing"}, {"status": "pending"}]},
        "alerts[1].status: must be firing or resolved, not 'pending'",
    ),
    ({"alerts": [{}]}, "alerts[0].status: must be firing or resolved, not None"),
    ({"status": "ok", "alerts": []}, "status: must be firing or resolved, not 'ok'"),
    (
        {"alerts": [{"status": "firing", "labels": ["a"]}]},
        "alerts[0].labels: must be an object of strings",
    ),
    (
        {"alerts": [{"status": "firing", "labels": {"severity": 1}}]},
        "alerts[0].labels.severity: must be a string, not 1",
    ),
    (
        {"alerts": [{"status": "firing", "annotations": {"value": 93.1}}]},
        "alerts[0].annotations.value: must be a string, not 93.1",
    ),
    (
        {"alerts": [{"status": "firing", "startsAt": "yesterday"}]},
        "alerts[0].startsAt: must be an RFC 3339 time, not 'yesterday'",
    ),
    (
        {"alerts": [{"status": "firing", "startsAt": "2026-03-02T14:00:00"}]},
        "alerts[0].startsAt: an RFC 3339 time needs its offset (Z or +hh:mm)",
    ),
    (
        {"alerts": [{"status": "firing", "fingerprint": 7}]},
        "alerts[0].fingerprint: must be a string, not 7",
    ),
    ({"groupKey": 1, "alerts": []}, "groupKey: must be a string, not 1"),
]


@pytest.mark.parametrize("parse", [parse_alertmanager, parse_grafana])
@pytest.mark.parametrize(("body", "reason"), MALFORMED_MONITORING)
def test_a_malformed_monitoring_body_is_refused_with_its_reason(parse, body, reason):
    with pytest.raises(BadAlert) as refused:
        parse(body)
    assert str(refused.value) == reason


def test_one_bad_alert_refuses_the_whole_request():
    def break_second(body):
        body["alerts"][1]["status"] = "acknowledged"

    with pytest.raises(BadAlert, match=r"^alerts\[1\]\.status: must be firing or resolved"):
        parse_alertmanager(_alertmanager_with(break_second))


MALFORMED_GENERIC = [
    ("Checkout down", "body: must be an object"),
    ({}, "title: required, a non-empty string"),
    ({"title": "   "}, "title: required, a non-empty string"),
    ({"title": 5}, "title: required, a non-empty string"),
    (
        {"title": "t", "dedupe_key": "k"},
        "body: unknown field dedupe_key; known: title, dedup_key, status, severity, metrics, "
        "for, source, link, labels, group",
    ),
    ({"title": "t", "status": "open"}, "status: must be firing or resolved, not 'open'"),
    ({"title": "t", "severity": 1}, "severity: must be a string, not 1"),
    ({"title": "t", "source": ["a"]}, "source: must be a string, not ['a']"),
    ({"title": "t", "dedup_key": 12}, "dedup_key: must be a string, not 12"),
    ({"title": "t", "group": {}}, "group: must be a string, not {}"),
    ({"title": "t", "labels": "service=x"}, "labels: must be an object of strings"),
    ({"title": "t", "labels": {"n": 1}}, "labels.n: must be a string, not 1"),
    ({"title": "t", "metrics": [93]}, "metrics: must be an object of numbers"),
    (
        {"title": "t", "metrics": {"error_rate": "high"}},
        "metrics.error_rate: must be a number, not 'high'",
    ),
    (
        {"title": "t", "metrics": {"error_rate": 2}, "for": "ten minutes"},
        "for: must be a duration such as 90s, 10m or 1h30m, not 'ten minutes'",
    ),
    ({"alerts": "x"}, "alerts: must be a list, not 'x'"),
    ({"alerts": [{"title": "t"}, 3]}, "alerts[1]: must be an object"),
    ({"alerts": [{"title": "t"}, {}]}, "alerts[1].title: required, a non-empty string"),
    (
        {"alerts": [{"title": "t", "metrics": {"cpu_usage": None}}]},
        "alerts[0].metrics.cpu_usage: must be a number, not None",
    ),
    (
        {"alerts": [{"title": "t", "color": "red"}]},
        "alerts[0]: unknown field color; known: title, dedup_key, status, severity, metrics, "
        "for, source, link, labels, group",
    ),
    ({"alerts": [], "title": "t"}, "body: unknown field title; known: alerts"),
    ({"alerts": [{"title": "t"}] * 1001}, "alerts: 1001 alerts, at most 1000 in one request"),
]


@pytest.mark.parametrize(("body", "reason"), MALFORMED_GENERIC)
def test_a_malformed_generic_body_is_refused_with_its_reason(body, reason):
    with pytest.raises(BadAlert) as refused:
        parse_generic(body)
    assert str(refused.value) == reason


def test_a_refusal_quotes_at_most_a_short_piece_of_the_bad_value():
    with pytest.raises(BadAlert) as refused:
        parse_generic({"title": "t", "status": "x" * 5000})
    assert len(str(refused.value)) < 100


# --- the README's examples ------------------------------------------------------------------

README = Path(__file__).resolve().parent.parent.parent / "README.md"
CURL = re.compile(r"curl -X POST https://bot\.example\.com/alerts/(\w+) \\\n.*?-d '(.*?)'", re.S)
PARSERS = {"alertmanager": parse_alertmanager, "grafana": parse_grafana, "generic": parse_generic}


def test_every_curl_example_of_the_readme_is_a_valid_body():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Alert intake formats") :]
    examples = [(m[1], json.loads(m[2])) for m in CURL.finditer(section)]

    assert [name for name, _ in examples] == ["alertmanager", "grafana", "generic", "generic"]
    severities = [severity_of(a, PACK) for name, body in examples for a in PARSERS[name](body)]
    assert severities == ["p0", "p1", "p0", None]
