"""Correlation ids per HTTP request: taken from `X-Correlation-ID` or made up, and echoed back.

While the request runs the id is current (`shared.tracing`), so every log line and every event
the request causes carries it. A plain ASGI middleware rather than `@app.middleware("http")`:
it keeps the context var set for the whole request, including when the route raises. An
unexpected exception is therefore answered (500, EP shape) here, inside the request's
correlation, so the logged traceback and the response both carry the id.
"""

from __future__ import annotations

import logging
import re
import time
from uuid import uuid4

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.handlers import internal_error_response
from shared.tracing import traced

HEADER = "X-Correlation-ID"
# One access-log line per request (JSON, with the correlation id), except the probes' polling.
access = logging.getLogger("shared.http.access")
_QUIET = frozenset({"/health", "/ready", "/metrics"})
# A caller's id is echoed into our logs, events and headers: accept only short, plain ids.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def _incoming(scope: Scope) -> str | None:
    value = Headers(scope=scope).get(HEADER)
    return value if value is not None and _ACCEPTABLE.fullmatch(value) else None


class CorrelationIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = _incoming(scope) or str(uuid4())
        status = 0
        began = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = correlation_id
            await send(message)

        method, path = scope.get("method", ""), scope.get("path", "")
        with traced(correlation_id, f"http:{method} {path}"):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                if status:  # too late for an error document; let the server drop the connection
                    raise
                response = internal_error_response(method, path, exc)
                await response(scope, receive, send_with_id)
            finally:
                if path not in _QUIET:
                    ms = round((time.perf_counter() - began) * 1000, 1)
                    access.info(
                        "%s %s %s in %.1f ms",
                        method,
                        path,
                        status,
                        ms,
                        extra={"method": method, "path": path, "status": status, "duration_ms": ms},
                    )
