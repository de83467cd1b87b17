"""The three alert intake formats, parsed into `IncomingAlert`s. Pure.

- `parse_alertmanager`: Prometheus Alertmanager's webhook (`version: "4"`).
- `parse_grafana`: Grafana alerting's webhook (Alertmanager's shape plus `values`, links).
- `parse_generic`: our own small format, documented in README.md ("Alert intake formats").

Every body is untrusted: a body that is not the format raises `BadAlert` with a one-line
reason (`alerts[0].status: must be firing or resolved, not 'pending'`); text is clipped
(titles to 300 characters, label values to 200), keys that would not fit storage are replaced
by a hash of themselves, and a link that is not a plain http(s) URL is dropped.

Metric values for the pack's alert rules. Alertmanager and Grafana do not say which metric
fired or for how long, so an alert rule names them, and the alert then carries an
`Observation(metric, value, lasted)`:

- label `metric` (or `__name__`): the pack rule's metric id, e.g. `payment_success_rate`;
- the value: Grafana's first numeric `values` entry (older Grafana: the first `value=` of
  `valueString`), else annotation `value` (`{{ $value }}`, `93.1`, `93.1%`, `250ms`);
- how long it has lasted: annotation (or label) `for`, the rule's own `for:` (`10m`,
  `1h30m`); without it (or when it is not a duration), zero, so only rules without a
  duration can be met. A value that is not a number gives no observation: the alert is
  still taken, as monitoring cannot resend it differently.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from bot.domain.alert_rules import Observation
from bot.domain.alerts import AlertStatus, BadAlert, IncomingAlert
from bot.domain.text import clip

MAX_ALERTS = 1000  # in one request
TITLE_LIMIT = 300
LABEL_LIMIT = 200  # label values; label names too
FINGERPRINT_LIMIT = 200  # storage's Alert.fingerprint
GROUP_KEY_LIMIT = 300  # storage's Alert.group_key
LINK_LIMIT = 2000  # a longer link is dropped: cutting a URL breaks it
STATUSES: tuple[AlertStatus, ...] = ("firing", "resolved")
METRIC_LABELS = ("metric", "__name__")

_SPAN = re.compile(r"([0-9]+)([wdhms])")
_SPANS = re.compile(r"(?:[0-9]+[wdhms])+")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_NUMBER_SUFFIXES = ("%", "ms")
_VALUE_STRING = re.compile(r"\bvalue=([^\s\],]+)")
_ZERO_TIME_YEAR = 1  # Go's zero time, 0001-01-01T00:00:00Z: "not set"

Json = Mapping[str, object]


# --- shared helpers -----------------------------------------------------------------------


def parse_for(text: str) -> timedelta:
    """A Prometheus-style duration: `90s`, `10m`, `1h30m`, `2d`, `0s`; raises ValueError."""
    text = text.strip()
    if not _SPANS.fullmatch(text):
        raise ValueError(f"not a duration: {text!r}")
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _SPAN.findall(text))
    return timedelta(seconds=seconds)


def parse_number(value: object) -> float:
    """A finite number from JSON: `93.1`, or text such as `"93.1"`, `"93.1%"`, `"250ms"`;
    raises ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, str):
        text = value.strip()
        for suffix in _NUMBER_SUFFIXES:
            text = text.removesuffix(suffix)
        value = text.strip()
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        raise ValueError(f"not a finite number: {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def safe_link(value: object) -> str | None:
    """The value if it is a plain http(s) URL that fits, else None (the link is dropped)."""
    if not isinstance(value, str) or not value or len(value) > LINK_LIMIT:
        return None
    if any(char.isspace() or char in "<>|" for char in value):
        return None  # Slack markup could disguise it
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.hostname else None


def stable_hash(*parts: str) -> str:
    """16 hex digits that the same parts always give (Alertmanager fingerprints look alike)."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def _fit_key(key: str, limit: int) -> str:
    """A dedup or group key as sent, or a hash of it when storage could not hold it whole."""
    return key if len(key) <= limit else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _title(text: str) -> str:
    """One line of at most TITLE_LIMIT characters."""
    return clip(" ".join(text.split()), TITLE_LIMIT)


def _shown(value: object) -> str:
    """A bad value, short enough to quote in a one-line reason."""
    return clip(repr(value), 40)


def _object(value: object, where: str) -> Json:
    if not isinstance(value, dict):
        raise BadAlert(f"{where}: must be an object")
    return value


def _strings(value: object, where: str) -> dict[str, str]:
    """A map of strings (labels, annotations), names and values clipped; {} when absent."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadAlert(f"{where}: must be an object of strings")
    out: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(text, str):
            raise BadAlert(f"{where}.{clip(str(name), 40)}: must be a string, not {_shown(text)}")
        out[clip(str(name), LABEL_LIMIT)] = clip(text, LABEL_LIMIT)
    return out


def _optional_string(body: Json, name: str, where: str) -> str | None:
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    raise BadAlert(f"{where}{name}: must be a string, not {_shown(value)}")


def _status(value: object, where: str) -> AlertStatus:
    for status in STATUSES:
        if value == status:
            return status
    raise BadAlert(f"{where}: must be firing or resolved, not {_shown(value)}")


def _alert_list(body: Json) -> list[Json]:
    """The objects of `alerts`, at most MAX_ALERTS of them."""
    if "alerts" not in body:
        raise BadAlert("alerts: missing")
    alerts = body["alerts"]
    if not isinstance(alerts, list):
        raise BadAlert(f"alerts: must be a list, not {_shown(alerts)}")
    if len(alerts) > MAX_ALERTS:
        raise BadAlert(f"alerts: {len(alerts)} alerts, at most {MAX_ALERTS} in one request")
    return [_object(alert, f"alerts[{i}]") for i, alert in enumerate(alerts)]


def _time(value: object, where: str) -> datetime | None:
    """An RFC 3339 time in UTC; None when absent or Go's zero time (Alertmanager's "unset")."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadAlert(f"{where}: must be an RFC 3339 time, not {_shown(value)}")
    try:
        moment = datetime.fromisoformat(value.strip().upper())  # RFC 3339 allows t and z
    except ValueError:
        raise BadAlert(f"{where}: must be an RFC 3339 time, not {_shown(value)}") from None
    if moment.tzinfo is None:
        raise BadAlert(f"{where}: an RFC 3339 time needs its offset (Z or +hh:mm)")
    return None if moment.year == _ZERO_TIME_YEAR else moment.astimezone(UTC)


# --- Alertmanager and Grafana -------------------------------------------------------------


def _lasted(labels: Mapping[str, str], annotations: Mapping[str, str]) -> timedelta:
    """The alert rule's `for:`, from annotation or label `for`; zero when absent or bad."""
    text = annotations.get("for") or labels.get("for") or ""
    try:
        return parse_for(text)
    except ValueError:
        return timedelta(0)


def _observations(
    labels: Mapping[str, str], annotations: Mapping[str, str], value: float | None
) -> tuple[Observation, ...]:
    """The metric value the alert carries, if it names the metric and the value is a number."""
    metric = next((labels[name] for name in METRIC_LABELS if labels.get(name)), None)
    if metric is None or value is None:
        return ()
    return (Observation(metric, value, _lasted(labels, annotations)),)


def _number_or_none(value: object) -> float | None:
    try:
        return parse_number(value)
    except ValueError:
        return None


def _monitoring_title(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str:
    """Annotation `summary`, else the first line of `description`, else label `alertname`."""
    if annotations.get("summary", "").strip():
        return _title(annotations["summary"])
    description = annotations.get("description", "").strip()
    if description:
        return _title(description.splitlines()[0])
    return _title(labels.get("alertname", ""))


def _monitoring_alert(
    alert: Json, where: str, group_key: str
) -> tuple[IncomingAlert, dict[str, str]]:
    """The fields Alertmanager and Grafana share (no observations yet), and its annotations."""
    labels = _strings(alert.get("labels"), f"{where}.labels")
    annotations = _strings(alert.get("annotations"), f"{where}.annotations")
    fingerprint = _optional_string(alert, "fingerprint", f"{where}.") or ""
    fingerprint = fingerprint or stable_hash(*(f"{k}={v}" for k, v in sorted(labels.items())))
    parsed = IncomingAlert(
        fingerprint=_fit_key(fingerprint, FINGERPRINT_LIMIT),
        status=_status(alert.get("status"), f"{where}.status"),
        title=_monitoring_title(labels, annotations) or f"Alert {fingerprint[:16]}",
        group_key=group_key,
        labels=labels,
        link=safe_link(alert.get("generatorURL")),
        starts_at=_time(alert.get("startsAt"), f"{where}.startsAt"),
    )
    return parsed, annotations


def _monitoring_body(body: object) -> tuple[str, list[Json]]:
    """The group key and the alerts of an Alertmanager or Grafana body."""
    payload = _object(body, "body")
    if "status" in payload:
        _status(payload["status"], "status")
    group_key = _optional_string(payload, "groupKey", "") or ""
    return _fit_key(group_key, GROUP_KEY_LIMIT), _alert_list(payload)


def parse_alertmanager(body: object) -> list[IncomingAlert]:
    """Alertmanager's webhook body (version 4) as alerts; raises BadAlert saying why not."""
    group_key, raws = _monitoring_body(body)
    alerts = []
    for i, raw in enumerate(raws):
        alert, annotations = _monitoring_alert(raw, f"alerts[{i}]", group_key)
        value = _number_or_none(annotations.get("value"))
        observations = _observations(alert.labels, annotations, value)
        alerts.append(replace(alert, observations=observations))
    return alerts


def _grafana_value(alert: Json, annotations: Mapping[str, str]) -> float | None:
    """The first numeric entry of `values`, else of `valueString`, else annotation `value`."""
    values = alert.get("values")
    if isinstance(values, dict):
        for value in values.values():
            if (number := _number_or_none(value)) is not None:
                return number
    value_string = alert.get("valueString")
    if isinstance(value_string, str):
        for match in _VALUE_STRING.finditer(value_string):
            if (number := _number_or_none(match[1])) is not None:
                return number
    return _number_or_none(annotations.get("value"))


def _grafana_link(alert: Json) -> str | None:
    """dashboardURL, else panelURL, else generatorURL: the first that is a usable link."""
    for name in ("dashboardURL", "panelURL", "generatorURL"):
        if link := safe_link(alert.get(name)):
            return link
    return None


def parse_grafana(body: object) -> list[IncomingAlert]:
    """Grafana alerting's webhook body as alerts; raises BadAlert saying why not."""
    group_key, raws = _monitoring_body(body)
    alerts = []
    for i, raw in enumerate(raws):
        alert, annotations = _monitoring_alert(raw, f"alerts[{i}]", group_key)
        observations = _observations(alert.labels, annotations, _grafana_value(raw, annotations))
        alerts.append(replace(alert, observations=observations, link=_grafana_link(raw)))
    return alerts


# --- generic ------------------------------------------------------------------------------

GENERIC_FIELDS = (
    "title",
    "dedup_key",
    "status",
    "severity",
    "metrics",
    "for",
    "source",
    "link",
    "labels",
    "group",
)


def _no_unknown_fields(body: Json, known: Sequence[str], where: str) -> None:
    """A misspelt field (`dedupe_key`) is refused rather than silently ignored."""
    unknown = [str(name) for name in body if name not in known]
    if unknown:
        shown = clip(", ".join(sorted(unknown)), 80)
        raise BadAlert(f"{where or 'body'}: unknown field {shown}; known: {', '.join(known)}")


def _generic_title(body: Json, where: str) -> str:
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise BadAlert(f"{where}title: required, a non-empty string")
    return _title(title)


def _generic_metrics(body: Json, where: str) -> tuple[Observation, ...]:
    """`metrics` (metric → number), each lasting `for` (zero without it)."""
    metrics = body.get("metrics")
    if metrics is None:
        return ()
    if not isinstance(metrics, dict):
        raise BadAlert(f"{where}metrics: must be an object of numbers")
    lasted = _generic_for(body, where)
    observations = []
    for metric, value in metrics.items():
        try:
            number = parse_number(value)
        except ValueError:
            name = clip(str(metric), 40)
            raise BadAlert(
                f"{where}metrics.{name}: must be a number, not {_shown(value)}"
            ) from None
        observations.append(Observation(clip(str(metric), LABEL_LIMIT), number, lasted))
    return tuple(observations)


def _generic_for(body: Json, where: str) -> timedelta:
    text = _optional_string(body, "for", where)
    if text is None:
        return timedelta(0)
    try:
        return parse_for(text)
    except ValueError:
        raise BadAlert(
            f"{where}for: must be a duration such as 90s, 10m or 1h30m, not {_shown(text)}"
        ) from None


def _generic_labels(body: Json, where: str) -> dict[str, str]:
    """`labels`, with `source` and `severity` added as labels of those names."""
    labels = _strings(body.get("labels"), f"{where}labels")
    for name in ("source", "severity"):
        if (value := _optional_string(body, name, where)) is not None:
            labels[name] = clip(value, LABEL_LIMIT)
    return labels


def _generic_alert(body: Json, where: str) -> IncomingAlert:
    """One alert of the generic format; `where` prefixes its fields in reasons."""
    _no_unknown_fields(body, GENERIC_FIELDS, where.rstrip("."))
    title = _generic_title(body, where)
    labels = _generic_labels(body, where)
    dedup_key = _optional_string(body, "dedup_key", where) or ""
    return IncomingAlert(
        fingerprint=_fit_key(dedup_key, FINGERPRINT_LIMIT)
        or stable_hash(title, labels.get("source", "")),
        status=_status(body.get("status", "firing"), f"{where}status"),
        title=title,
        group_key=_fit_key(_optional_string(body, "group", where) or "", GROUP_KEY_LIMIT),
        labels=labels,
        observations=_generic_metrics(body, where),
        link=safe_link(body.get("link")),
    )


def parse_generic(body: object) -> list[IncomingAlert]:
    """The generic format, one alert or `{"alerts": [...]}`; raises BadAlert saying why not."""
    payload = _object(body, "body")
    if "alerts" not in payload:
        return [_generic_alert(payload, "")]
    _no_unknown_fields(payload, ("alerts",), "")
    return [_generic_alert(alert, f"alerts[{i}].") for i, alert in enumerate(_alert_list(payload))]
