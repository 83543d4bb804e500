"""Exception handlers that make every failure answer in Elastic Path's error shape.

Our own `ApiError`s, domain rule violations, write conflicts, FastAPI's request validation,
Starlette's routing errors (unknown route 404, wrong method 405), a database that is away (503
with `Retry-After`: a restart or failover, which clients should retry, unlike a 500) and anything
unexpected (500, with a `request_id`; the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from uuid import uuid4

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.domain.errors import DomainError
from shared.eventstore.errors import ConcurrencyError
from shared.http.errors import ApiError, Conflict, ErrorObject
from shared.http.responses import JsonResponse
from shared.http.validation import validation_error

log = logging.getLogger(__name__)

INTERNAL_ERROR_DETAIL = "There was a problem processing your request"
# Friendlier than the bare reason phrase Starlette puts in `detail` for routing errors.
# The database went away under the request (a restart cut the connection, or it refuses new ones
# while starting): nothing was committed, the same request can succeed a moment later.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a connection left mid-statement by a server that went away
    ConnectionError,
)
RETRY_AFTER_SECONDS = 1
_ROUTING_DETAILS = {
    404: "The requested resource could not be found",
    405: "The method is not allowed for the requested resource",
}


def internal_error_response(method: str, path: str, exc: BaseException) -> JsonResponse:
    """Log the traceback under a fresh request id and answer a 500 that names only that id."""
    request_id = uuid4().hex
    log.error(
        "unhandled %s on %s %s",
        type(exc).__name__,
        method,
        path,
        exc_info=exc,
        extra={"request_id": request_id, "method": method, "path": path},
    )
    error: ErrorObject = {
        "status": 500,
        "title": "Internal Server Error",
        "detail": INTERNAL_ERROR_DETAIL,
        "request_id": request_id,
    }
    return JsonResponse({"errors": [error]}, status_code=500)


async def _api_error(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _domain_error(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, DomainError)
    return ApiError(exc.status, exc.title, exc.detail, source=exc.source, meta=exc.meta).response()


async def _write_conflict(_: Request, exc: Exception) -> JsonResponse:
    return Conflict().response()


async def _request_validation(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_error(exc.errors(), prefix="", request_locations=True).response()


async def _http_error(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    detail: str | None = str(exc.detail) if exc.detail is not None else None
    if detail == title:  # Starlette's default repeats the phrase, which tells the client nothing
        detail = _ROUTING_DETAILS.get(status)
    return ApiError(status, title, detail, headers=exc.headers).response()


async def _database_unavailable(request: Request, exc: Exception) -> JsonResponse:
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    detail = "The service cannot reach its database right now; retry the request"
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return ApiError(503, "Service Unavailable", detail, headers=headers).response()


async def _unexpected(request: Request, exc: Exception) -> JsonResponse:
    return internal_error_response(request.method, request.url.path, exc)


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler; `create_app` calls this, hand-built apps may too."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ConcurrencyError, _write_conflict)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for unavailable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unavailable, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
