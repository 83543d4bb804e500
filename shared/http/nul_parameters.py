"""Path and query parameters holding U+0000 answer a 400, before any handler sees them.

PostgreSQL's text cannot hold the NUL character: a `%00` in an id or a filter value reached the
database as a bound parameter and failed there as a 500 (asyncpg's CharacterNotInRepertoireError;
schemathesis found it with `GET /v2/orders?filter=eq(status,%00)`). No identifier or filter of this
API can contain it, so it is refused at the edge, like a NUL in a JSON body (`shared.http.body`).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http.errors import BadRequest


def nul_parameter(scope: Scope) -> str | None:
    """Where a NUL hides in the request's path or query (`path` or the parameter's name), if anywhere."""
    if "\x00" in scope.get("path", ""):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" not in query and "\x00" not in query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return None


class RejectNulParametersMiddleware:
    """Answers Elastic Path's 400 `format` for a NUL in the path or the query string."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            source = nul_parameter(scope)
            if source is not None:
                error = BadRequest(
                    "Parameters may not contain the NUL character (%00)", title="format", source=source
                )
                await error.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)
