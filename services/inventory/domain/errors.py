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


class StockLevelsBroken(DomainError):
    """A movement would leave allocated stock below 0 or above the total: refused, never recorded.

    Every command checks what it may move first, so this only fires on a bug or a corrupt stream;
    it is the last line against overselling, and unlike an `assert` it survives `python -O`."""

    status = 422
    title = "Cannot complete request"

    def __init__(self, product_id: str, total: int, allocated: int) -> None:
        super().__init__(
            f"Allocated stock ({allocated}) must stay between 0 and the total ({total})",
            meta={"id": product_id, "total": total, "allocated": allocated},
        )


class StockNotFound(NotFound):
    def __init__(self, product_id: str) -> None:
        super().__init__("The resource could not be found", product_id)


class InvalidQuantity(DomainError):
    status = 400
    title = "Invalid quantity"

    def __init__(self, detail: str = "quantity must be a positive integer") -> None:
        super().__init__(detail, source="data.quantity")
