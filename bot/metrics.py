"""Prometheus metrics of one bot process, served as `GET /metrics` (`bot.scrape`).

Each bot has a registry of its own (`Metrics.registry`), never prometheus-client's global
one, so two bots in one process (tests, benchmarks) never share a counter.

Two kinds of numbers, and they add up differently across replicas (which share nothing but
the database):
- counters and histograms count what *this process* did (acks, Web API calls, timer
  firings, alerts taken in, database errors): sum them over replicas;
- gauges read from the database at scrape time (open incidents) are the same on every
  replica: take their `max`, never their sum.

Every label has a bounded set of values: request kinds and timer kinds are fixed in the
code, methods are the Web API methods the bot calls, alert sources are `ALERT_TOKENS`
names, and anything from outside (a Slack error code, an alert format in a URL) that does
not look like one of those is counted as `other`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.exc import SQLAlchemyError

from bot.intake import database_unavailable

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)  # Slack waits 3 s
LATENESS_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
SLACK_WORD = re.compile(r"[A-Za-z0-9_.]{1,64}")


def _bounded(value: str, pattern: re.Pattern[str] = SLACK_WORD) -> str:
    """The value, if it looks like a name from a known family; `other` if not."""
    return value if pattern.fullmatch(value) else "other"


def is_database_error(error: BaseException) -> bool:
    """True for an error the database (or its driver) raised, not Slack or a bug of ours."""
    database = SQLAlchemyError | asyncpg.PostgresError | asyncpg.InterfaceError
    return isinstance(error, database) or database_unavailable(error)


class Metrics:
    """The instruments of one bot, and the calls that record into them."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.acks = Histogram(
            "incident_bot_request_ack_seconds",
            "Slack requests acknowledged, by kind, and the time from arrival to the ack",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self.rejected = Counter(
            "incident_bot_requests_rejected",
            "Slack requests answered with an error, by reason",
            ["reason"],
            registry=registry,
        )
        self.slack_calls = Counter(
            "incident_bot_slack_calls",
            "Slack Web API calls by method and outcome (ok, error, unreachable)",
            ["method", "outcome"],
            registry=registry,
        )
        self.slack_errors = Counter(
            "incident_bot_slack_errors",
            "Slack Web API calls Slack refused, by method and Slack's error code",
            ["method", "error"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "incident_bot_slack_rate_limited",
            "HTTP 429 answers from Slack, by method (each attempt that got one)",
            ["method"],
            registry=registry,
        )
        self.retry_waits = Counter(
            "incident_bot_slack_retry_wait_seconds",
            "Seconds waited out (Retry-After) before trying a rate-limited call again",
            ["method"],
            registry=registry,
        )
        self.open_incidents = Gauge(
            "incident_bot_open_incidents",
            "Open incidents by severity, read from the database at scrape time "
            "(the same on every replica: aggregate with max, not sum)",
            ["severity"],
            registry=registry,
        )
        self.timer_firings = Counter(
            "incident_bot_timer_firings",
            "Timers this process fired (won and recorded), by kind",
            ["kind"],
            registry=registry,
        )
        self.timer_lateness = Histogram(
            "incident_bot_timer_lateness_seconds",
            "Seconds between a timer falling due and its firing, by kind",
            ["kind"],
            buckets=LATENESS_BUCKETS,
            registry=registry,
        )
        self.alert_requests = Counter(
            "incident_bot_alert_requests",
            "Requests to POST /alerts/<format>, by sender (ALERT_TOKENS name), format and "
            "outcome (accepted, rejected)",
            ["source", "format", "outcome"],
            registry=registry,
        )
        self.alerts = Counter(
            "incident_bot_alerts_accepted",
            "Alerts in accepted requests, by sender and format",
            ["source", "format"],
            registry=registry,
        )
        self.database_errors = Counter(
            "incident_bot_database_errors",
            "Database failures the bot caught, by what it was doing",
            ["operation"],
            registry=registry,
        )

    # --- Slack requests (HTTP and Socket Mode) ---
    def acked(self, kind: str, seconds: float) -> None:
        """A Slack request of `kind` was acknowledged `seconds` after it arrived."""
        self.acks.labels(kind).observe(seconds)

    def refused(self, reason: str) -> None:
        """A Slack request was answered with an error (bad_signature, malformed,
        not_recorded, …)."""
        self.rejected.labels(reason).inc()

    # --- the Web API ---
    def slack_call(self, method: str, error: str | None = None) -> None:
        """A Web API call ended: ok (`error` None), refused by Slack (`error` is Slack's
        code), or `unreachable` (no answer: connection error, timeout)."""
        method = _bounded(method)
        if error is None:
            self.slack_calls.labels(method, "ok").inc()
        elif error == "unreachable":
            self.slack_calls.labels(method, "unreachable").inc()
        else:
            self.slack_calls.labels(method, "error").inc()
            self.slack_errors.labels(method, _bounded(error)).inc()

    def slack_rate_limited(self, method: str, waited: float | None = None) -> None:
        """Slack answered 429; `waited`: the seconds waited before the retry (None: none)."""
        method = _bounded(method)
        self.rate_limited.labels(method).inc()
        if waited is not None:
            self.retry_waits.labels(method).inc(max(0.0, waited))

    # --- timers, alerts, the database ---
    def timer_fired(self, kind: str, lateness: float) -> None:
        """A timer of `kind` fired `lateness` seconds after it fell due."""
        self.timer_firings.labels(kind).inc()
        self.timer_lateness.labels(kind).observe(max(0.0, lateness))

    def alert_request(self, source: str, fmt: str, *, alerts: int | None) -> None:
        """A request to the alert intake: accepted with `alerts` alerts, or rejected (None)."""
        outcome = "rejected" if alerts is None else "accepted"
        self.alert_requests.labels(source, fmt, outcome).inc()
        if alerts:
            self.alerts.labels(source, fmt).inc(alerts)

    def database_error(self, operation: str, error: BaseException | None = None) -> None:
        """The database failed while the bot was doing `operation`. With `error`, counted
        only when it is the database's (a background pass also talks to Slack)."""
        if error is None or is_database_error(error):
            self.database_errors.labels(operation).inc()

    # --- at scrape time ---
    def show_open_incidents(
        self, counts: Mapping[str, int] | None, severities: Iterable[str]
    ) -> None:
        """Open incidents by severity as the database has them (0 for every severity of the
        pack that has none); `counts` None (the database did not answer): no series."""
        self.open_incidents.clear()
        if counts is None:
            return
        for severity in severities:
            self.open_incidents.labels(severity).set(0)
        for severity, count in counts.items():
            self.open_incidents.labels(severity).set(count)
