"""The base of rule violations raised by aggregates; adapters map them to HTTP errors."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command broke a business rule. `status`/`title` let the HTTP layer answer in EP's shape."""

    status: int = 422
    title: str = "Unprocessable Entity"

    def __init__(
        self,
        detail: str,
        *,
        title: str | None = None,
        status: int | None = None,
        source: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if title is not None:
            self.title = title
        if status is not None:
            self.status = status
        self.source = source
        self.meta = meta


class NotFound(DomainError):
    """Something a command or a query names does not exist: Elastic Path's 404 "Not Found".

    Each service names its own (`OrderNotFound`, `StockNotFound`...) with its own words; the id
    goes in `meta.id` and stays on the exception for callers that park or retry on it.
    """

    status = 404
    title = "Not Found"

    def __init__(self, detail: str, identifier: str) -> None:
        super().__init__(detail, meta={"id": identifier})
        self.identifier = identifier
