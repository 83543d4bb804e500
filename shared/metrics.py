"""Prometheus metrics every service exposes at `/metrics` (prometheus_client).

HTTP latency per route, events appended, outbox messages published and waiting, what consumers
did with each message (applied, duplicate, parked, dead-lettered), the messages each consumer sent
to the dead-letter topic by source topic, each consumer group's lag per partition, and the requests
the service's Kafka clients sent, by API.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
EVENTS_APPENDED = Counter("events_appended_total", "Domain events appended to the event store")
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Integration events relayed to Kafka")
OUTBOX_BACKLOG = Gauge(
    "outbox_backlog", "Outbox rows read in the relay's last batch (a full batch means more wait)"
)
CONSUMED = Counter(
    "consumer_messages_total", "Messages handled by consumers, by outcome", ["consumer", "outcome"]
)
AGGREGATE_CACHE = Counter(
    "aggregate_cache_total",
    "Streams a unit of work looked up in the process's stream cache (hit, miss), and streams forgotten",
    ["outcome"],
)
DEAD_LETTERS = Counter(
    "dead_letters_total",
    "Messages this service's consumers sent to the dead-letter topic, by the topic they came from",
    ["consumer", "topic"],
)
KAFKA_REQUESTS = Counter(
    "kafka_requests_total",
    "Requests this service's Kafka clients sent (fetches, produces, offset commits, heartbeats...), by API",
    ["api"],
)
CONSUMER_LAG = Gauge(
    "consumer_lag",
    "Messages not yet applied: the partition's log end offset minus the group's committed offset",
    ["consumer_group", "topic", "partition"],
)


def _route_of(request: Request) -> str:
    """The route template (`/v2/carts/{ref}`), never the raw path: bounded label values."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    for candidate in request.app.router.routes:
        match, _ = candidate.matches(request.scope)
        if match is Match.FULL and isinstance(getattr(candidate, "path", None), str):
            return str(candidate.path)
    return "unmatched"


class MetricsMiddleware:
    """Plain ASGI rather than BaseHTTPMiddleware, which costs every request an extra task and a
    memory stream (it showed in the services' profiles under the benchmark's load)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaped to the server's handler

        async def send_and_see_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_see_status)
        finally:
            # The router recorded the matched route in `scope` on the way in.
            HTTP_LATENCY.labels(scope["method"], _route_of(Request(scope)), str(status)).observe(
                time.perf_counter() - started
            )


def install_metrics(app: FastAPI) -> None:
    app.add_middleware(MetricsMiddleware)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
