"""Inventory rule violations, with the Elastic Path errors they answer with."""

from __future__ import annotations

from shared.domain.errors import DomainError, NotFound


class InsufficientStock(DomainError):
    status = 422
    title = "Cannot complete request"

    def __init__(self, product_id: str) -> None:
        super().__init__(
            "Your request could not be completed due to insufficient stock levels", meta={"id": product_id}
        )


class StockNotFound(NotFound):
    def __init__(self, product_id: str) -> None:
        super().__init__("The resource could not be found", product_id)


class InvalidQuantity(DomainError):
    status = 400
    title = "Invalid quantity"

    def __init__(self, detail: str = "quantity must be a positive integer") -> None:
        super().__init__(detail, source="data.quantity")
