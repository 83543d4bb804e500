"""The cart's ports on `CartTables`, keeping the rules PostgreSQL's unique keys and lock keep
(`adapters/postgres`); a clash raises the same domain error."""

from __future__ import annotations

from datetime import datetime

from services.cart.adapters.in_memory.tables import CartTables, StagedTables
from services.cart.domain.errors import (
    MAX_AUTOMATIC_PROMOTIONS,
    DuplicateCode,
    DuplicateEmail,
    DuplicateSku,
    TooManyAutomaticPromotions,
)
from shared.eventstore.in_memory import InMemoryStore


def _drop_values(table: dict[str, str], value: str) -> None:
    for key in [key for key, held in table.items() if held == value]:
        del table[key]


class InMemorySkuClaims:
    """`ports.SkuClaims`: `product_skus`, sku -> product, each unique."""

    def __init__(self, tables: StagedTables) -> None:
        self._tables = tables

    async def claim(self, product_id: str, sku: str) -> None:
        holder = self._tables.view().product_skus.get(sku)
        if holder is not None and holder != product_id:
            raise DuplicateSku(sku)

        def write(tables: CartTables) -> None:
            _drop_values(tables.product_skus, product_id)
            tables.product_skus[sku] = product_id

        self._tables.stage(write)

    async def release(self, product_id: str) -> None:
        self._tables.stage(lambda tables: _drop_values(tables.product_skus, product_id))

    async def product_of(self, sku: str) -> str | None:
        return self._tables.view().product_skus.get(sku)


class InMemoryEmailClaims:
    """`ports.EmailClaims`: `customer_emails`, claim -> customer, each unique."""

    def __init__(self, tables: StagedTables) -> None:
        self._tables = tables

    async def claim(self, customer_id: str, email_claim: str) -> None:
        claims = self._tables.view().customer_emails
        if email_claim in claims or customer_id in claims.values():
            raise DuplicateEmail()
        self._tables.stage(lambda tables: tables.customer_emails.__setitem__(email_claim, customer_id))

    async def reclaim(self, customer_id: str, email_claim: str) -> None:
        if self._tables.view().customer_emails.get(email_claim, customer_id) != customer_id:
            raise DuplicateEmail()

        def write(tables: CartTables) -> None:
            _drop_values(tables.customer_emails, customer_id)
            tables.customer_emails[email_claim] = customer_id

        self._tables.stage(write)

    async def release(self, customer_id: str) -> None:
        self._tables.stage(lambda tables: _drop_values(tables.customer_emails, customer_id))

    async def customer_of(self, email_claim: str) -> str | None:
        return self._tables.view().customer_emails.get(email_claim)


class InMemoryPromotionIndex:
    """`ports.PromotionIndex`: `promotion_codes` (lower case, unique) and the automatic list."""

    def __init__(self, tables: StagedTables) -> None:
        self._tables = tables

    async def claim_code(self, code: str, promotion_id: str) -> None:
        key = code.lower()
        if key in self._tables.view().promotion_codes:
            raise DuplicateCode(code)
        self._tables.stage(lambda tables: tables.promotion_codes.__setitem__(key, promotion_id))

    async def release_code(self, code: str) -> None:
        self._tables.stage(lambda tables: tables.promotion_codes.pop(code.lower(), None))

    async def promotion_of(self, code: str) -> str | None:
        return self._tables.view().promotion_codes.get(code.lower())

    async def list_automatic(self, promotion_id: str) -> None:
        others = [listed for listed in self._tables.view().automatic_promotions if listed != promotion_id]
        if len(others) >= MAX_AUTOMATIC_PROMOTIONS:
            raise TooManyAutomaticPromotions()
        self._tables.stage(lambda tables: tables.automatic_promotions.setdefault(promotion_id, None))

    async def unlist_automatic(self, promotion_id: str) -> None:
        self._tables.stage(lambda tables: tables.automatic_promotions.pop(promotion_id, None))

    async def release_promotion(self, promotion_id: str) -> None:
        def write(tables: CartTables) -> None:
            _drop_values(tables.promotion_codes, promotion_id)
            tables.automatic_promotions.pop(promotion_id, None)

        self._tables.stage(write)


class InMemoryStockAndPromotions:
    """`ports.StockAndPromotions`: the levels recorded (`CartTables.record_stock_level`) and the list."""

    def __init__(self, tables: StagedTables) -> None:
        self._tables = tables

    async def levels_and_automatic(self, product_ids: list[str]) -> tuple[list[str], dict[str, int | None]]:
        view = self._tables.view()
        return list(view.automatic_promotions), await self.levels(product_ids)

    async def levels(self, product_ids: list[str]) -> dict[str, int | None]:
        stock = self._tables.view().stock_levels
        return {
            product_id: stock[product_id][0] if stock[product_id][1] else None
            for product_id in product_ids
            if product_id in stock
        }


class InMemoryStockLevels:
    """`ports.StockLevels`: staged with the unit's other writes, kept if it commits."""

    def __init__(self, tables: StagedTables) -> None:
        self._tables = tables

    async def record(self, product_id: str, available: int, managed: bool, version: int) -> None:
        self._tables.stage(
            lambda tables: tables.record_stock_level(product_id, available, managed=managed, version=version)
        )


class InMemoryCustomerCarts:
    """`ports.CustomerCarts`: the customer carts projection folded from the committed log at each
    read, as `projections/customer_carts.py` folds it (never behind)."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def cart_ids(self, customer_id: str, limit: int) -> list[str]:
        rows: dict[str, tuple[str, datetime]] = {}
        for event in self._store.log:
            cart_id = event.stream_id.removeprefix("cart-")
            if event.event_type == "CustomerCartAssociated":
                rows[cart_id] = (event.data["customer_id"], event.occurred_at)
            elif event.event_type in ("CustomerCartDissociated", "CartDeleted"):
                rows.pop(cart_id, None)
        theirs = [(at, cart_id) for cart_id, (customer, at) in rows.items() if customer == customer_id]
        return [cart_id for _, cart_id in sorted(theirs, reverse=True)][:limit]
