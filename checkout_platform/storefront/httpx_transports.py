"""The storefront's requests over httpx: as sent, or retried the way a real storefront retries
while a service restarts (the chaos suites).

Retrying: connection errors, timeouts and the gateway's 502/503/504 mean "the service is not there
right now": wait a little and send the same request again, for up to `patience` seconds. Every
other answer (2xx, 4xx, a 500) is returned to the caller, who decides what it means (the workloads
count a 500 as a failure: a service that lost something a client may retry answers 503). Retrying a
POST whose answer was lost may repeat its effect; the workloads' checks are written for that (a
repeated checkout answers 409 with the order made the first time).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import httpx

RETRIED_STATUSES = frozenset({502, 503, 504})
RETRIED_ERRORS = (httpx.TransportError,)  # connect/read errors, timeouts, a dropped connection


class HttpxTransport:
    """Sends through `client` (its base URL and Authorization header), once."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        due: float | None = None,
    ) -> httpx.Response:
        return await self.client.request(method, path, json=json, data=data, headers=headers)


class ServiceUnavailable(AssertionError):
    """The service did not come back within the storefront's patience."""


class RetryingTransport:
    """Sends with retries as the module says; counts what it had to retry, per reason, for the report."""

    def __init__(self, base_url: str, bearer: str, *, patience: float = 180.0, timeout: float = 60.0) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            headers={"Authorization": f"Bearer {bearer}"},
            limits=httpx.Limits(max_connections=40, max_keepalive_connections=20),
        )
        self.patience = patience
        self.retries: Counter[str] = Counter()

    async def send(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        due: float | None = None,
    ) -> httpx.Response:
        deadline = time.monotonic() + self.patience
        pause = 0.2
        while True:
            try:
                response = await self.client.request(method, path, json=json, data=data, headers=headers)
                if response.status_code not in RETRIED_STATUSES:
                    return response
                reason = f"HTTP {response.status_code}"
            except RETRIED_ERRORS as exc:
                reason = type(exc).__name__
            self.retries[reason] += 1
            if time.monotonic() > deadline:
                raise ServiceUnavailable(f"{method} {self.client.base_url}{path}: still {reason}")
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 2.0)

    async def aclose(self) -> None:
        await self.client.aclose()
