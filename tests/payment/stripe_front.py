"""localstripe behind a front that adds Stripe's search and shows what the service asked Stripe.

The service finds a PaymentIntent whose creation a crash cut short with Stripe's search
(`GET /v1/payment_intents/search?query=metadata['transaction_id']:'...'`), and scans the recent
ones only where search is refused. localstripe has no search (it answers 404), so against it only
the scan ever ran. The front answers search the way Stripe documents it: a `search_result` object
(`object`, `url`, `has_more`, `next_page`, `data`) holding the PaymentIntents localstripe has
whose metadata matches, for the one query form the service sends; any other query is refused as
Stripe refuses an unsupported one (400, `invalid_request_error`). Unlike Stripe, whose search may
lag writes by up to a minute, it is consistent; a crash-recovery test therefore shows the search
path works, not how it copes with the lag. With `search` off it passes search on to localstripe.

Everything else is passed to localstripe unchanged. Every request is recorded (`seen`), and one
request can be held until the test lets it go (`hold`): a capture kept in flight at "Stripe".
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from devstack.ports import free_port

SEARCH = "/v1/payment_intents/search"
_METADATA_QUERY = re.compile(r"^metadata\['([A-Za-z0-9_]+)'\]:'([^'\\]*)'$")
_HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection"}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    status: int


@dataclass
class Hold:
    """The first request for `method path` that ends with `suffix` waits until `release()`."""

    method: str
    suffix: str
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()


class StripeFront:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.search = True
        self.seen: list[Seen] = []
        self._holds: list[Hold] = []
        self._port = free_port()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._session = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self._port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def hold(self, method: str, suffix: str) -> Hold:
        held = Hold(method, suffix)
        self._holds.append(held)
        return held

    def requests(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if (s.method, s.path) == (method, path)]

    async def _handle(self, request: web.Request) -> web.Response:
        held = next(
            (h for h in self._holds if h.method == request.method and request.path.endswith(h.suffix)), None
        )
        if held is not None:
            self._holds.remove(held)
            held.arrived.set()
            await held.released.wait()
        if self.search and request.method == "GET" and request.path == SEARCH:
            status, body = await self._search(request)
            response = web.json_response(body, status=status)
        else:
            response = await self._forward(request)
        self.seen.append(Seen(request.method, request.path, dict(request.query), response.status))
        return response

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=await request.read()
        ) as answer:
            body = await answer.read()
            return web.Response(
                status=answer.status, body=body, content_type=answer.content_type, charset=answer.charset
            )

    async def _search(self, request: web.Request) -> tuple[int, dict[str, Any]]:
        """Stripe's `GET /v1/payment_intents/search` for `metadata['key']:'value'`."""
        query = request.query.get("query", "")
        wanted = _METADATA_QUERY.match(query)
        if wanted is None:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "param": "query",
                    "message": f"The query {query!r} is not supported by this test's front for Stripe.",
                }
            }
        key, value = wanted.groups()
        limit = min(int(request.query.get("limit", "10")), 100)
        matches = [i for i in await self._intents(request) if (i.get("metadata") or {}).get(key) == value]
        return 200, {
            "object": "search_result",
            "url": SEARCH,
            "has_more": len(matches) > limit,
            "next_page": None,
            "data": matches[:limit],
        }

    async def _intents(self, request: web.Request) -> list[dict[str, Any]]:
        """Every PaymentIntent localstripe holds, newest first (its list, page by page)."""
        assert self._session is not None
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {"limit": "100"}
        while True:
            async with self._session.get(
                f"{self.upstream}/v1/payment_intents",
                params=params,
                headers={"Authorization": request.headers.get("Authorization", "")},
            ) as answer:
                page = await answer.json()
            found += page["data"]
            if not page.get("has_more") or not page["data"]:
                return found
            params["starting_after"] = page["data"][-1]["id"]
