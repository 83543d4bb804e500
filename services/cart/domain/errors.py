"""Rule violations of the cart service, each carrying the Elastic Path error it answers with."""

from __future__ import annotations

from typing import Any

from shared.domain.errors import DomainError, NotFound


class InsufficientStock(DomainError):
    status = 400
    title = "Insufficient stock"

    def __init__(self, sku: str, product_id: str, available: int) -> None:
        super().__init__(
            f"There is not enough stock to add {sku or product_id} to your cart",
            meta={"id": product_id, "sku": sku, "available": available},
        )


class ItemNotInCart(NotFound):
    def __init__(self, item_id: str) -> None:
        super().__init__("The Item doesn't exist in the cart", item_id)


class CartRuleBroken(DomainError):
    """A 400 about the cart's contents (empty cart, too many items, no price in the currency...)."""

    status = 400

    def __init__(
        self, title: str, detail: str, *, source: str | None = None, meta: dict[str, Any] | None = None
    ):
        super().__init__(detail, title=title, source=source, meta=meta)


class PromotionNotApplicable(DomainError):
    """A code that exists but cannot apply now: disabled, not started, expired, exhausted."""

    status = 422
    title = "Promotion not applicable"


class PromotionNotFound(DomainError):
    status = 404
    title = "Not Found"

    def __init__(self) -> None:
        super().__init__("No promotion could be found with the given code.")


class CartAlreadyCheckedOut(DomainError):
    """The cart has not changed since it became an order: checking it out again would duplicate it.

    The answer names the existing order, so a client retrying after a lost response finds it.
    """

    status = 409
    title = "Cart already checked out"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            "This cart has not changed since it was checked out; its order already exists",
            meta={"order_id": order_id},
        )


class DuplicateSku(DomainError):
    """A sku names one product at a time."""

    status = 409
    title = "Duplicate sku"

    def __init__(self, sku: str) -> None:
        super().__init__(f"A product with sku {sku!r} already exists", source="data.sku", meta={"sku": sku})


class DuplicateEmail(DomainError):
    """An email belongs to one customer at a time."""

    status = 409
    title = "Duplicate email"

    def __init__(self) -> None:
        super().__init__("A customer with this email already exists", source="data.email")


class DuplicateCode(DomainError):
    """A promotion code belongs to one promotion (codes compare in lower case)."""

    status = 409
    title = "Duplicate code"

    def __init__(self, code: str) -> None:
        super().__init__(f"The code {code!r} is already used by another promotion", source="data.codes")


MAX_AUTOMATIC_PROMOTIONS = 20
"""Enabled automatic promotions at once: every cart loads each of them whenever it is priced."""


class TooManyAutomaticPromotions(DomainError):
    status = 422
    title = "Too many automatic promotions"

    def __init__(self) -> None:
        super().__init__(
            f"At most {MAX_AUTOMATIC_PROMOTIONS} enabled automatic promotions can exist at once;"
            " disable or delete one first",
            source="data.automatic",
        )
