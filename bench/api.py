"""A timed Elastic Path client over one pooled aiohttp session: every call is measured by endpoint.

aiohttp rather than httpx: the load generator shares the machine's two cores with the stack it
measures, and httpx spent about 0.9 ms of CPU per request here against aiohttp's 0.25 ms.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from bench.recorder import Recorder


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


class UnexpectedResponse(Exception):
    """A status the workflow did not expect at this step: counted as an error."""

    def __init__(self, endpoint: str, response: Reply) -> None:
        super().__init__(f"{endpoint} -> {response.status_code}: {response.text[:300]}")
        self.response = response


class Api:
    """The gateway, through one ``aiohttp.ClientSession`` whose pool all virtual shoppers share."""

    def __init__(self, base_url: str, recorder: Recorder, *, connections: int, timeout: float) -> None:
        self.recorder = recorder
        self._base_url = base_url.rstrip("/")
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

    async def _send(
        self, method: str, path: str, *, headers: dict[str, str], json: Any = None, data: Any = None
    ) -> Reply:
        async with self.session.request(
            method, self._base_url + path, headers=headers, json=json, data=data
        ) as response:
            return Reply(response.status, await response.read())

    async def token(self, client_id: str, client_secret: str | None = None) -> str:
        """A client-credentials token when a secret is given (admin), else an implicit one (shopper)."""
        form = {"grant_type": "implicit", "client_id": client_id}
        if client_secret is not None:
            form = {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
            }
        response = await self._send("POST", "/oauth/access_token", headers={}, data=form)
        if response.status_code != 200:
            raise UnexpectedResponse("POST /oauth/access_token", response)
        return str(response.json()["access_token"])

    async def call(
        self,
        method: str,
        path: str,
        endpoint: str,
        token: str,
        *,
        body: dict[str, Any] | None = None,
        expect: Collection[int] = (200, 201),
        since: float | None = None,
    ) -> Reply:
        """Send, time and record one request; :class:`UnexpectedResponse` unless the status is expected.

        ``since`` (a ``time.perf_counter()``) is when the request was meant to go: the open-loop run
        passes its schedule, so a late start counts in the latency (no coordinated omission).
        """
        started = time.perf_counter() if since is None else since
        response = await self._send(method, path, headers={"Authorization": f"Bearer {token}"}, json=body)
        self.recorder.http(endpoint, (time.perf_counter() - started) * 1000)
        if response.status_code not in expect:
            raise UnexpectedResponse(endpoint, response)
        return response
