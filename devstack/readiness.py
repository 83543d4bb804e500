"""Readiness probes: small async checks that raise until a server really answers.

A probe is an async callable that returns when the server is ready and raises otherwise; the raised
error is kept so a timeout can say what the last attempt saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping

import httpx

Probe = Callable[[], Awaitable[None]]


def tcp_probe(host: str, port: int) -> Probe:
    """Ready when ``host:port`` accepts a TCP connection."""

    async def probe() -> None:
        _, writer = await asyncio.open_connection(host, port)
        writer.close()
        await writer.wait_closed()

    return probe


def http_probe(
    url: str, headers: Mapping[str, str] | None = None, *, accept: Collection[int] = (200,)
) -> Probe:
    """Ready when a GET of ``url`` answers one of ``accept`` (a 401 proves a gateway routes, say)."""

    async def probe() -> None:
        async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
            response = await client.get(url, headers=dict(headers or {}))
        if response.status_code not in accept:
            raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:200]}")

    return probe


def all_of(*probes: Probe) -> Probe:
    """Ready when every probe passes, checked in order (cheap ones first)."""

    async def probe() -> None:
        for each in probes:
            await each()

    return probe
