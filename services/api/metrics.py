"""Prometheus metrics of the service, in a registry of its own (not prometheus-client's default
one, so nothing else in the process adds to or reads from it; one per process).

Requests by route and status with a latency histogram; commands by type and outcome (the HTTP
status class says accepted, refused or failed) with a latency histogram; gauges the runtime sets:
relay lag, projection lag, deadline-watcher runs.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = [
    "DEADLINE_WATCHER_APPENDED",
    "DEADLINE_WATCHER_RUNS",
    "PROJECTION_LAG_EVENTS",
    "PROJECTION_LAG_SECONDS",
    "REGISTRY",
    "RELAY_LAG_EVENTS",
    "RELAY_LAG_SECONDS",
    "observe_request",
    "render",
]

REGISTRY = CollectorRegistry(auto_describe=True)
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

REQUESTS = Counter(
    "care_contracts_http_requests_total",
    "HTTP requests by method, route and status.",
    ("method", "route", "status"),
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "care_contracts_http_request_seconds",
    "HTTP request latency by route.",
    ("method", "route"),
    buckets=_BUCKETS,
    registry=REGISTRY,
)
COMMANDS = Counter(
    "care_contracts_commands_total",
    "Commands by type and outcome (accepted, refused, failed).",
    ("command", "outcome"),
    registry=REGISTRY,
)
COMMAND_SECONDS = Histogram(
    "care_contracts_command_seconds",
    "Command latency over HTTP, by type.",
    ("command",),
    buckets=_BUCKETS,
    registry=REGISTRY,
)
RELAY_LAG_EVENTS = Gauge(
    "care_contracts_relay_lag_events",
    "Stored events not yet acked on the stream.",
    registry=REGISTRY,
)
RELAY_LAG_SECONDS = Gauge(
    "care_contracts_relay_lag_seconds",
    "Age of the oldest stored event not yet on the stream.",
    registry=REGISTRY,
)
PROJECTION_LAG_EVENTS = Gauge(
    "care_contracts_projection_lag_events",
    "Stream events a projection has not applied.",
    ("projection",),
    registry=REGISTRY,
)
PROJECTION_LAG_SECONDS = Gauge(
    "care_contracts_projection_lag_seconds",
    "Age of the oldest stream event a projection has not applied.",
    ("projection",),
    registry=REGISTRY,
)
DEADLINE_WATCHER_RUNS = Counter(
    "care_contracts_deadline_watcher_runs_total",
    "Deadline-watcher rounds by result.",
    ("result",),
    registry=REGISTRY,
)
DEADLINE_WATCHER_APPENDED = Counter(
    "care_contracts_deadline_watcher_events_total",
    "Date-driven commands the deadline watcher got accepted, by command.",
    ("command",),
    registry=REGISTRY,
)


def observe_request(
    method: str, route: str, status: int, seconds: float, command: str | None
) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    REQUEST_SECONDS.labels(method, route).observe(seconds)
    if command is not None:
        outcome = "accepted" if status < 400 else "refused" if status < 500 else "failed"
        COMMANDS.labels(command, outcome).inc()
        COMMAND_SECONDS.labels(command).observe(seconds)


def render() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
