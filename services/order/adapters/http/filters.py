"""Elastic Path's `filter=eq(status,complete):eq(payment,paid)` syntax, parsed (eq only, for now)."""

from __future__ import annotations

import re

from shared.http.errors import ApiError

_CLAUSE = re.compile(r'^(?P<op>[a-z_]+)\((?P<field>[a-z_.]+),(?P<value>"[^"]*"|[^()]*)\)$')
MAX_FILTERS = 10


def parse_filter(raw: str | None) -> tuple[tuple[str, str], ...]:
    if not raw:
        return ()
    if len(raw) > 8192:
        raise ApiError(400, "Bad Request", "The filter is too long")
    parsed = []
    for clause in raw.split(":"):
        match = _CLAUSE.match(clause.strip())
        if match is None:
            raise ApiError(400, "Bad Request", "Could not parse the supplied filter", source="filter")
        if match["op"] != "eq":
            raise ApiError(
                400,
                "Bad Request",
                f"The filter operator {match['op']} is not supported here",
                source="filter",
            )
        parsed.append((match["field"], match["value"].strip('"')))
    if len(parsed) > MAX_FILTERS:
        raise ApiError(400, "Bad Request", f"At most {MAX_FILTERS} filters are allowed", source="filter")
    return tuple(parsed)
