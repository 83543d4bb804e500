"""Elastic Path's error document, and the exception that carries it out of any route.

`{"errors": [{"status": 400, "title": "...", "detail": "...", "source": "...", "meta": {...}}]}`
(ep-api.md §3): `status` is an integer, `title` always present, `detail`, `source` and `meta`
only when known. The SDK rejects with this body as-is, so clients read these fields directly.
Raise `ApiError` (or one of the subclasses below) anywhere; `shared.http.handlers` renders it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NotRequired, TypedDict

from shared.http.responses import JsonResponse


class ErrorObject(TypedDict):
    status: int
    title: str
    detail: NotRequired[str]
    source: NotRequired[str]
    meta: NotRequired[dict[str, Any]]
    request_id: NotRequired[str]


def error_object(
    status: int,
    title: str,
    detail: str | None = None,
    source: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> ErrorObject:
    """One error, leaving out the optional members that are unknown rather than sending nulls."""
    error: ErrorObject = {"status": status, "title": title}
    if detail is not None:
        error["detail"] = detail
    if source is not None:
        error["source"] = source
    if meta:
        error["meta"] = dict(meta)
    return error


class ApiError(Exception):
    """An HTTP error answered in Elastic Path's shape, with one error object or several.

    `ApiError(400, "format", "Does not match format 'email", source="data.customer.email")`
    for one; `ApiError.many([...])` when a request has several problems at once.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        source: str | None = None,
        meta: Mapping[str, Any] | None = None,
        errors: Sequence[ErrorObject] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors: list[ErrorObject] = (
            list(errors) if errors else [error_object(status, title, detail, source, meta)]
        )
        self.headers: dict[str, str] | None = dict(headers) if headers else None

    @classmethod
    def many(cls, errors: Sequence[ErrorObject], *, status: int | None = None) -> ApiError:
        """Several problems in one answer; the HTTP status defaults to the first error's."""
        if not errors:
            raise ValueError("ApiError.many needs at least one error")
        first = errors[0]
        return cls(status or first["status"], first["title"], first.get("detail"), errors=errors)

    def body(self) -> dict[str, list[ErrorObject]]:
        return {"errors": self.errors}

    def response(self) -> JsonResponse:
        return JsonResponse(self.body(), status_code=self.status, headers=self.headers)


class _StandardError(ApiError):
    """An ApiError whose status and usual title are fixed by its class."""

    default_status: ClassVar[int] = 400
    default_title: ClassVar[str] = "Bad Request"
    default_detail: ClassVar[str | None] = None
    default_headers: ClassVar[Mapping[str, str] | None] = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        title: str | None = None,
        source: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            self.default_status,
            title or self.default_title,
            detail if detail is not None else self.default_detail,
            source=source,
            meta=meta,
            headers=self.default_headers,
        )


class BadRequest(_StandardError):
    """400: the request itself is wrong (pass `title="required"`/`"format"` and `source` for a field)."""


class Unauthorized(_StandardError):
    """401 with the title the SDK sees on a bad token; the SDK re-authenticates and retries on it."""

    default_status = 401
    default_title = "Unable to validate access token"
    default_headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(_StandardError):
    """403: a valid token without the right role (e.g. a shopper token on an admin route)."""

    default_status = 403
    default_title = "Forbidden"


class NotFound(_StandardError):
    default_status = 404
    default_title = "Not Found"
    default_detail = "The requested resource could not be found"


class Conflict(_StandardError):
    """409: another writer got there first (optimistic concurrency); the client may retry."""

    default_status = 409
    default_title = "Conflict"
    default_detail = "Write conflict detected"


class UnprocessableEntity(_StandardError):
    """422: well-formed but impossible now (EP: stock that cannot move, "Cannot complete request")."""

    default_status = 422
    default_title = "Unprocessable Entity"
