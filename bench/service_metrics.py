"""Events appended and messages relayed, scraped from each service's Prometheus `/metrics`: rates for
the chart, and totals for the per-checkout counts (:mod:`bench.costs`)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

KAFKA_REQUESTS = "kafka_requests_total"
"""Also kept per API, as `kafka_requests_total:Fetch` and so on."""
COUNTERS = ("events_appended_total", "outbox_published_total", KAFKA_REQUESTS)


def counters(text: str) -> dict[str, float]:
    """The kernel's counters of interest, summed over their labels (Kafka requests also per API)."""
    totals = dict.fromkeys(COUNTERS, 0.0)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in totals:
                totals[sample.name] += sample.value
            if sample.name == KAFKA_REQUESTS and "api" in sample.labels:
                key = f"{KAFKA_REQUESTS}:{sample.labels['api']}"
                totals[key] = totals.get(key, 0.0) + sample.value
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

    async def scrape(self) -> dict[str, dict[str, float]]:
        """Each answering service's counters now (a service that does not answer is left out)."""
        now: dict[str, dict[str, float]] = {}
        for name, url in self.urls.items():
            try:
                response = await self._client.get(f"{url}/metrics")
                now[name] = counters(response.text)
            except httpx.HTTPError:
                continue
        return now

    async def sample(self, at: float) -> MetricsSample | None:
        """Rates since the previous sample (None on the first call)."""
        now = await self.scrape()
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
