"""A timed Elastic Path client over one pooled httpx connection pool: every call is measured by endpoint."""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

import httpx

from bench.recorder import Recorder


class UnexpectedResponse(Exception):
    """A status the workflow did not expect at this step: counted as an error."""

    def __init__(self, endpoint: str, response: httpx.Response) -> None:
        super().__init__(f"{endpoint} -> {response.status_code}: {response.text[:300]}")
        self.response = response


class Api:
    """The gateway, through one ``httpx.AsyncClient`` whose pool all virtual shoppers share."""

    def __init__(self, base_url: str, recorder: Recorder, *, connections: int, timeout: float) -> None:
        self.recorder = recorder
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def token(self, client_id: str, client_secret: str | None = None) -> str:
        """A client-credentials token when a secret is given (admin), else an implicit one (shopper)."""
        form = {"grant_type": "implicit", "client_id": client_id}
        if client_secret is not None:
            form = {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
            }
        response = await self._client.post("/oauth/access_token", data=form)
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
    ) -> httpx.Response:
        """Send, time and record one request; :class:`UnexpectedResponse` unless the status is expected."""
        started = time.perf_counter()
        response = await self._client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        self.recorder.http(endpoint, (time.perf_counter() - started) * 1000)
        if response.status_code not in expect:
            raise UnexpectedResponse(endpoint, response)
        return response
