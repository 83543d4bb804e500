"""The cart's own tables beside its events, as its handlers need them (issue 20).

Each port names a role, and its Protocol states the rule the tables keep. The service's bootstrap
provides the PostgreSQL adapters (`adapters/postgres`); the fast tier provides the in-memory ones
(`adapters/in_memory`), which keep the same rules. A handler asks its unit: `uow.adapter(SKU_CLAIMS)`.

Writes belong to the unit of work: they take effect if, and only if, its events commit. A claim that
clashes raises the domain error the handler answers with (`domain/errors.py`) and leaves the unit
able to fail cleanly (PostgreSQL's adapters claim in a savepoint).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from shared.eventstore.port import Port, UnitOfWork


class SkuClaims(Protocol):
    """`product_skus`: a sku names one product, and a product has one sku."""

    async def claim(self, product_id: str, sku: str) -> None:
        """Point `sku` at the product (freeing its previous sku); DuplicateSku when another product
        holds it."""
        ...

    async def release(self, product_id: str) -> None:
        """Free the product's sku (the product is deleted)."""
        ...

    async def product_of(self, sku: str) -> str | None:
        """The product holding `sku`, if any."""
        ...


class EmailClaims(Protocol):
    """`customer_emails`: an email claim (`customer_privacy.email_claim`) belongs to one customer, and
    a customer holds one."""

    async def claim(self, customer_id: str, email_claim: str) -> None:
        """A new customer's claim; DuplicateEmail when the email (or the customer) has one already."""
        ...

    async def reclaim(self, customer_id: str, email_claim: str) -> None:
        """The customer's new email takes the place of their old one, which is free again;
        DuplicateEmail when another customer holds it (the old one is then kept)."""
        ...

    async def release(self, customer_id: str) -> None:
        """Free the customer's email (the customer is deleted)."""
        ...

    async def customer_of(self, email_claim: str) -> str | None:
        """The customer holding the claim, if any (sign-in)."""
        ...


class PromotionIndex(Protocol):
    """`promotion_codes` and `automatic_promotions`: a code (in lower case) belongs to one promotion;
    the automatic list holds the enabled automatic promotions, at most MAX_AUTOMATIC_PROMOTIONS of
    them however many admins add one at once."""

    async def claim_code(self, code: str, promotion_id: str) -> None:
        """DuplicateCode when the code is taken already (by any promotion)."""
        ...

    async def release_code(self, code: str) -> None: ...

    async def promotion_of(self, code: str) -> str | None:
        """The promotion holding `code` (any case), if any."""
        ...

    async def list_automatic(self, promotion_id: str) -> None:
        """The promotion joins the automatic list (again is nothing new); TooManyAutomaticPromotions
        when the others listed already fill it."""
        ...

    async def unlist_automatic(self, promotion_id: str) -> None: ...

    async def release_promotion(self, promotion_id: str) -> None:
        """Free all the promotion's codes and its place on the automatic list (it is deleted)."""
        ...


class StockAndPromotions(Protocol):
    """`stock_levels` (what inventory last published) and the automatic list, read without a
    transaction of their own. One call is one statement: `lookups.Shelf` keeps what a unit read."""

    async def levels_and_automatic(self, product_ids: list[str]) -> tuple[list[str], dict[str, int | None]]:
        """The automatic promotions' ids, and the products' levels: available, or None when
        inventory does not manage the product's stock; a product with no level recorded is absent."""
        ...

    async def levels(self, product_ids: list[str]) -> dict[str, int | None]:
        """The products' levels alone, as above."""
        ...


class StockLevels(Protocol):
    """`stock_levels`: the newest availability inventory published per product. Kafka may bring a
    level again or late: one not newer than the recorded one changes nothing."""

    async def record(self, product_id: str, available: int, managed: bool, version: int) -> None:
        """Keep the level at `version` unless a level at that version or later is recorded."""
        ...


class CustomerCarts(Protocol):
    """The customer carts read model: which carts name a customer, as far as it has seen."""

    async def cart_ids(self, customer_id: str, limit: int) -> list[str]:
        """At most `limit` of the customer's carts, newest first (a cart freed a moment ago may still
        be listed: the caller confirms each from its stream)."""
        ...


class UnitsOfWork(Protocol):
    """A database as a query outside a command uses it (sign-in): a unit of work to read in. Both of
    the kernel's databases (PostgreSQL's and the in-memory one) are one."""

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]: ...


SKU_CLAIMS: Port[SkuClaims] = Port("cart.sku_claims")
EMAIL_CLAIMS: Port[EmailClaims] = Port("cart.email_claims")
PROMOTION_INDEX: Port[PromotionIndex] = Port("cart.promotion_index")
STOCK_AND_PROMOTIONS: Port[StockAndPromotions] = Port("cart.stock_and_promotions")
STOCK_LEVELS: Port[StockLevels] = Port("cart.stock_levels")
CUSTOMER_CARTS: Port[CustomerCarts] = Port("cart.customer_carts")
