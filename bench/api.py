"""The gateway through one pooled aiohttp session, as transports for `checkout_platform.storefront.client`:
the steps' requests are the storefront's, and every one the workload makes is timed by endpoint.

aiohttp rather than httpx: the load generator shares the machine's two cores with the stack it
measures, and httpx spent about 0.9 ms of CPU per request here against aiohttp's 0.25 ms. Nothing
is made per request beyond what aiohttp needs and the answer: each caller's headers are made once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from bench.recorder import Recorder
from checkout_platform.storefront.client import Storefront
from checkout_platform.storefront.client import (
    UnexpectedResponse as UnexpectedResponse,  # what the bench counts
)


@dataclass(frozen=True)
class Reply:
    """An answer read whole: its status and body."""

    status_code: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> Any:
        return orjson.loads(self.body)


class Api:
    """The gateway, through one ``aiohttp.ClientSession`` whose pool all virtual shoppers share; itself
    an untimed transport (for tokens), and the maker of each caller's timed storefront."""

    def __init__(self, base_url: str, recorder: Recorder, *, connections: int, timeout: float) -> None:
        self.recorder = recorder
        self.base_url = base_url.rstrip("/")
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """Made on first use, inside the running event loop."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=self._timeout,
                trust_env=False,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

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
    ) -> Reply:
        async with self.session.request(
            method, self.base_url + path, headers=headers, json=json, data=data
        ) as response:
            return Reply(response.status, await response.read())

    async def token(self, client_id: str, client_secret: str | None = None) -> str:
        """A client-credentials token when a secret is given (admin), else an implicit one (shopper)."""
        return await Storefront(self).token(client_id, client_secret)

    def storefront(self, token: str, *, endpoint: str | None = None) -> Storefront[TimedTransport]:
        """The storefront of the caller whose token this is; see `TimedTransport` for `endpoint`."""
        return Storefront(TimedTransport(self, token, endpoint=endpoint))


class TimedTransport:
    """One caller's requests through the shared session, each timed into the recorder by endpoint
    (or all under `endpoint` when given: the bench's own checks, apart from the workload's)."""

    def __init__(self, api: Api, token: str, *, endpoint: str | None = None) -> None:
        self.token = token
        self._api = api
        self._headers = {"Authorization": f"Bearer {token}"}
        self._endpoint = endpoint

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
    ) -> Reply:
        """Send, time and record one request; `due` (a ``time.perf_counter()``) is when it was meant to
        go: the open-loop run passes its schedule, so a late start counts (no coordinated omission)."""
        started = time.perf_counter() if due is None else due
        api = self._api
        async with api.session.request(
            method,
            api.base_url + path,
            headers=self._headers if headers is None else {**self._headers, **headers},
            json=json,
            data=data,
        ) as response:
            reply = Reply(response.status, await response.read())
        api.recorder.http(self._endpoint or endpoint, (time.perf_counter() - started) * 1000)
        return reply
