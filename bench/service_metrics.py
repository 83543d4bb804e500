"""Events appended and messages relayed per second, scraped from each service's Prometheus `/metrics`.

A service's port is not in devstack's state file, but its process environment says it (`HTTP_PORT`,
the variable devstack starts it with), and /proc shows it to the same user.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

from devstack.apps import SERVICES
from devstack.state import StackState

COUNTERS = ("events_appended_total", "outbox_published_total")


def service_urls(state: StackState) -> dict[str, str]:
    """Each running service's own base URL (behind the gateway), from its process environment."""
    urls: dict[str, str] = {}
    for record in state.apps:
        if record.name not in SERVICES:
            continue
        try:
            environ = psutil.Process(record.pid).environ()
        except psutil.Error:
            continue
        host, port = environ.get("HTTP_HOST", "127.0.0.1"), environ.get("HTTP_PORT")
        if port:
            urls[record.name] = f"http://{host}:{port}"
    return urls


def counters(text: str) -> dict[str, float]:
    """The kernel's counters of interest, summed over their labels."""
    totals = dict.fromkeys(COUNTERS, 0.0)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in totals:
                totals[sample.name] += sample.value
    return totals


@dataclass(frozen=True)
class MetricsSample:
    at: float
    events_per_second: dict[str, float]
    published_per_second: dict[str, float]


class MetricsSampler:
    """Rates between consecutive scrapes, per service."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self._client = httpx.AsyncClient(timeout=5.0, trust_env=False)
        self._last: dict[str, dict[str, float]] = {}
        self._last_at: float | None = None
        self.totals: dict[str, dict[str, float]] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    async def sample(self, at: float) -> MetricsSample | None:
        now: dict[str, dict[str, float]] = {}
        for name, url in self.urls.items():
            try:
                response = await self._client.get(f"{url}/metrics")
                now[name] = counters(response.text)
            except httpx.HTTPError:
                continue
        previous, previous_at = self._last, self._last_at
        self._last, self._last_at = now, at
        self.totals = now
        if previous_at is None or at <= previous_at:
            return None
        wall = at - previous_at

        def rate(counter: str) -> dict[str, float]:
            return {
                name: round((values[counter] - previous[name][counter]) / wall, 1)
                for name, values in now.items()
                if name in previous
            }

        return MetricsSample(at, rate("events_appended_total"), rate("outbox_published_total"))
