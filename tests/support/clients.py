"""A signed-in client of a service, closed once the caller is done with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.support.services import authenticated_client


@asynccontextmanager
async def client_of(base_url: str, *, admin: bool) -> AsyncIterator[httpx.AsyncClient]:
    """An admin's or a shopper's client, signed in anew: it also serves a service restarted since."""
    client = await authenticated_client(base_url, admin=admin)
    try:
        yield client
    finally:
        await client.aclose()
