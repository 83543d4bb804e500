"""Elastic Path pagination: `page[limit]` / `page[offset]` in, `links` and `meta.page` out.

`meta.page.total` is the number of pages and `meta.results.total` the number of records
(ep-api.md §4); the SDK sends the brackets raw, which Starlette reads either way.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from shared.http.errors import ApiError
from shared.http.links import base_url

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_OFFSET = 10_000


def _integer(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, "Bad Request", f"{name} must be an integer", source=name) from None


def paging(request: Request) -> tuple[int, int]:
    limit = _integer(request, "page[limit]", DEFAULT_LIMIT)
    offset = _integer(request, "page[offset]", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            400, "Bad Request", f"page[limit] must be between 1 and {MAX_LIMIT}", source="page[limit]"
        )
    if not 0 <= offset <= MAX_OFFSET:
        raise ApiError(
            400, "Bad Request", f"page[offset] must be between 0 and {MAX_OFFSET}", source="page[offset]"
        )
    return limit, offset


def page_meta(request: Request, limit: int, offset: int, total: int) -> dict[str, Any]:
    kept = request.url.remove_query_params(["page[limit]", "page[offset]"]).query
    base = f"{base_url(request)}{request.url.path}{'?' + kept if kept else ''}"
    joiner = "&" if kept else "?"

    def link(at: int) -> str:
        return f"{base}{joiner}page[offset]={at}&page[limit]={limit}"

    last = max(0, ((total - 1) // limit) * limit) if total else 0
    links = {"current": link(offset), "first": link(0), "last": link(last)}
    if offset > 0:
        links["prev"] = link(max(0, offset - limit))
    if offset + limit < total:
        links["next"] = link(offset + limit)
    return {
        "links": links,
        "meta": {
            "page": {
                "limit": limit,
                "offset": offset,
                "current": offset // limit + 1,
                "total": -(-total // limit),
            },
            "results": {"total": total},
        },
    }
