"""OpenAPI declarations for routes that read their own bodies, so the generated document tells the truth.

Handlers read `{"data": ...}` with `shared.http.body.read_data` and check it with `validate(Model, ...)`
(errors in Elastic Path's shape, with a `source` per field), so FastAPI sees no body parameter and
would document none. `documented(...)` returns the keyword arguments of a route decorator that
declare, from the same pydantic models the handler validates with: the request body, the bearer
token, the query and header parameters the handler reads, and the main responses, with Elastic
Path's error document for every 4xx. It changes nothing about how a request is handled: the body
schema goes into `openapi_extra` (inlined, so the document needs no extra components), and the
bearer scheme is a dependency that reads nothing and never raises (`BearerScheme`); the token is
checked by `shared.auth`.

    @router.post("/v2/carts", status_code=201, **documented(body=CartRequest, answers="The new cart"))
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fastapi import Depends
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from pydantic import BaseModel, Field, TypeAdapter


class BearerScheme(SecurityBase):
    """Declares the `bearerToken` scheme on a route, as `HTTPBearer` would, without reading anything.

    FastAPI documents a route's security from the `SecurityBase` dependencies it has, and also runs
    them: `HTTPBearer` parsed the Authorization header on every request and built a pydantic model
    nobody read, since `shared.auth` checks the token. This one returns None at once, and is async,
    so FastAPI awaits it on the event loop instead of sending it to the thread pool.
    """

    def __init__(self, *, scheme_name: str, description: str) -> None:
        self.model = HTTPBearerModel(description=description)
        self.scheme_name = scheme_name

    async def __call__(self) -> None:
        return None


BEARER = BearerScheme(
    scheme_name="bearerToken",
    description="An access token from `POST /oauth/access_token`: `implicit` for shoppers, "
    "`client_credentials` for admins.",
)
"""Declares the scheme in the document; it never answers for us (the token is checked by `shared.auth`)."""

Auth = Literal["any", "admin", "none"]


class DataDocument(BaseModel):
    """A successful answer: Elastic Path's `data` (one resource or a list), with links, meta, included."""

    data: dict[str, Any] | list[dict[str, Any]]
    links: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    included: dict[str, Any] | None = None


class ErrorObject(BaseModel):
    """One problem, as `shared.http.errors.ApiError` renders it."""

    status: int
    title: str
    detail: str | None = None
    source: str | None = Field(default=None, description="The body member or parameter at fault")
    meta: dict[str, Any] | None = None
    request_id: str | None = Field(default=None, description="Only on 500s: where the log has the trace")


class ErrorDocument(BaseModel):
    """Elastic Path's error document: every error of this API, from the services and the gateway."""

    errors: list[ErrorObject] = Field(min_length=1)


def inline_schema(shape: Any) -> dict[str, Any]:
    """The JSON schema of a pydantic model or type, its `$defs` inlined (valid anywhere in a document)."""
    schema = TypeAdapter(shape).json_schema(mode="validation")
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = copy.deepcopy(definitions[ref.removeprefix("#/$defs/")])
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return resolve({**target, **rest})
        return {key: resolve(value) for key, value in node.items()}

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def _body(
    data: Any,
    *,
    required: bool,
    options: Any | None,
    description: str | None,
    extra: Sequence[Any],
    in_data_member: bool,
    media_types: Sequence[str],
) -> dict[str, Any]:
    data_schema = inline_schema(data)
    if extra:
        shapes = [inline_schema(shape) for shape in (data, *extra)]
        data_schema = {
            "anyOf": [
                s for shape in shapes for s in (shape["anyOf"] if list(shape) == ["anyOf"] else [shape])
            ]
        }
    if not in_data_member:
        return {"required": required, "content": {media: {"schema": data_schema} for media in media_types}}
    properties: dict[str, Any] = {
        "data": data_schema if required else {"anyOf": [data_schema, {"type": "null"}]}
    }
    if options is not None:
        properties["options"] = inline_schema(options)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = ["data"]
    body: dict[str, Any] = {
        "required": required,
        "content": {media: {"schema": schema} for media in media_types},
    }
    if description:
        body["description"] = description
    return body


PAGE_PARAMETERS: tuple[dict[str, Any], ...] = (
    {
        "name": "page[limit]",
        "in": "query",
        "required": False,
        "description": "Results per page (1 to 100; 25 when absent)",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
    },
    {
        "name": "page[offset]",
        "in": "query",
        "required": False,
        "description": "Results to skip (0 to 10000)",
        "schema": {"type": "integer", "minimum": 0, "maximum": 10_000},
    },
)


def query_parameter(name: str, description: str, schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return _optional_parameter("query", name, description, schema)


def header_parameter(name: str, description: str, schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return _optional_parameter("header", name, description, schema)


def _optional_parameter(
    where: str, name: str, description: str, schema: Mapping[str, Any] | None
) -> dict[str, Any]:
    """An optional OpenAPI parameter `in` the query or a header; a string unless `schema` says."""
    return {
        "name": name,
        "in": where,
        "required": False,
        "description": description,
        "schema": dict(schema or {"type": "string"}),
    }


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorDocument, "description": description}


def documented(
    *,
    body: Any | None = None,
    body_required: bool = True,
    body_alternatives: Sequence[Any] = (),
    options: Any | None = None,
    body_description: str | None = None,
    in_data_member: bool = True,
    media_types: Sequence[str] = ("application/json",),
    auth: Auth = "any",
    status: int = 200,
    answers: str = "Done",
    document: Any | None = DataDocument,
    parameters: Sequence[Mapping[str, Any]] = (),
    not_found: str | None = None,
    invalid: str = "The body or a parameter is invalid: one error per problem, with its `source`",
    conflict: str | None = None,
    unprocessable: str | None = None,
    too_many: str | None = None,
) -> dict[str, Any]:
    """Route decorator keywords declaring what the handler reads and answers (see the module doc).

    `status` is the success status (the route's `status_code`), `answers` what it carries, in
    `document` (Elastic Path's `{"data": ...}` unless said otherwise; nothing for a 204).
    `body` is the model (or type) of the body's `data` member, `body_alternatives` other shapes
    `data` may take (`in_data_member=False`: the body is the model itself, not `{"data": ...}`),
    `options` the model of a sibling `options` member, `media_types` how the body may be sent.
    `auth` is "any" for every token, "admin" for client-credentials only, "none" for no token;
    `invalid`, `not_found`, `conflict`, `unprocessable` and `too_many` (429) describe when those
    errors happen.
    """
    responses: dict[int | str, dict[str, Any]] = {status: {"description": answers}}
    if document is not None and status != 204:
        responses[status]["model"] = document
    if body is not None or parameters:
        responses[400] = _error(invalid)
    if auth != "none":
        responses[401] = _error("No token, or an invalid or expired one")
    if auth == "admin":
        responses[403] = _error("The token is not a client_credentials (admin) token")
    if not_found:
        responses[404] = _error(not_found)
    if conflict:
        responses[409] = _error(conflict)
    if body is not None:
        responses[413] = _error("The body is larger than 1 MB")
    if unprocessable:
        responses[422] = _error(unprocessable)
    if too_many:
        responses[429] = _error(too_many)
    responses["4XX"] = _error("Any other client error, in the same shape")

    extra: dict[str, Any] = {}
    if body is not None:
        extra["requestBody"] = _body(
            body,
            required=body_required,
            options=options,
            description=body_description,
            in_data_member=in_data_member,
            media_types=media_types,
            extra=body_alternatives,
        )
    if parameters:
        extra["parameters"] = [dict(p) for p in parameters]
    keywords: dict[str, Any] = {
        "status_code": status,
        "responses": responses,
        "response_description": answers,
    }
    if extra:
        keywords["openapi_extra"] = extra
    if auth != "none":
        keywords["dependencies"] = [Depends(BEARER)]
    return keywords
