"""pydantic validation problems as Elastic Path errors: one error per problem, located by `source`.

EP titles are JSON-Schema keywords (`required`, `type`, `format`, `enum`, `minimum`, ...) and
`source` is the dotted path into the request body (`data.items.0.quantity`), so a client can
point at the field. Used for route bodies (`shared.http.body.validate`) and for FastAPI's own
request validation (`shared.http.handlers`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shared.http.errors import ApiError, BadRequest, ErrorObject, error_object

# pydantic error type -> EP title; `*_type` is "type", anything else not listed is "format".
_TITLES: Mapping[str, str] = {
    "missing": "required",
    "missing_argument": "required",
    "missing_keyword_only_argument": "required",
    "missing_positional_only_argument": "required",
    "is_instance_of": "type",
    "is_subclass_of": "type",
    "none_required": "type",
    "int_parsing": "type",
    "int_from_float": "type",
    "float_parsing": "type",
    "bool_parsing": "type",
    "decimal_parsing": "type",
    "greater_than": "minimum",
    "greater_than_equal": "minimum",
    "less_than": "maximum",
    "less_than_equal": "maximum",
    "multiple_of": "multipleOf",
    "string_too_short": "minLength",
    "string_too_long": "maxLength",
    "too_short": "minItems",
    "too_long": "maxItems",
    "string_pattern_mismatch": "pattern",
    "literal_error": "enum",
    "enum": "enum",
    "extra_forbidden": "additionalProperties",
}
_PREFIXES_TO_DROP = ("Value error, ", "Assertion failed, ")
# Where FastAPI says a request parameter came from; EP sources name the parameter alone.
_REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie"})


def title_for(kind: str) -> str:
    if kind in _TITLES:
        return _TITLES[kind]
    return "type" if kind.endswith("_type") else "format"


def _detail(kind: str, name: str, message: str) -> str:
    """pydantic's message minus its prefixes, or `<field> is required` as EP words it."""
    if title_for(kind) == "required":
        return f"{name} is required"
    for prefix in _PREFIXES_TO_DROP:
        message = message.removeprefix(prefix)
    return message


def validation_error(
    problems: Iterable[Mapping[str, Any]], *, prefix: str = "data", request_locations: bool = False
) -> ApiError:
    """A 400 ApiError with one error object per pydantic problem.

    `problems` is `ValidationError.errors()`, or FastAPI's `RequestValidationError.errors()`
    with `request_locations=True` to drop its leading `body`/`query`/... location.
    """
    objects: list[ErrorObject] = []
    for problem in problems:
        kind = str(problem.get("type", ""))
        if kind == "json_invalid":
            return BadRequest("Malformed JSON")
        location: Sequence[Any] = problem.get("loc", ())
        if request_locations and location and location[0] in _REQUEST_PARTS:
            location = location[1:]
        path = ".".join(str(part) for part in location)
        source = ".".join(part for part in (prefix, path) if part) or None
        detail = _detail(kind, path or prefix or "value", str(problem.get("msg", "")))
        objects.append(error_object(400, title_for(kind), detail, source))
    if not objects:
        return BadRequest("The request is not valid")
    return ApiError.many(objects)
