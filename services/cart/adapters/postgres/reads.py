"""Reads of tables the cart's handlers do not write: `stock_levels` (from inventory's
`StockLevelChanged`, `adapters/consumers.py`) with the automatic list, and the customer carts read
model. On the unit's read connection (`uow.reads`: no transaction of their own)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.eventstore.port import UnitOfWork

STOCK_AND_PROMOTIONS = """
SELECT array(SELECT promotion_id FROM automatic_promotions) AS promotions,
       s.product_id, s.available, s.managed
FROM (SELECT 1) AS one LEFT JOIN stock_levels AS s ON s.product_id = ANY($1::text[])
"""
STOCK = "SELECT product_id, available, managed FROM stock_levels WHERE product_id = ANY($1::text[])"
CUSTOMER_CARTS = (
    "SELECT cart_id FROM proj_customer_carts.customer_carts WHERE customer_id = $1"
    " ORDER BY created_at DESC LIMIT $2"
)


def _levels(rows: Iterable[Any]) -> dict[str, int | None]:
    return {
        row["product_id"]: int(row["available"]) if row["managed"] else None
        for row in rows
        if row["product_id"] is not None
    }


class PostgresStockAndPromotions:
    """`ports.StockAndPromotions`: each call one statement (the LEFT JOIN answers one row even when
    no product has a level, so the promotions always come back)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def levels_and_automatic(self, product_ids: list[str]) -> tuple[list[str], dict[str, int | None]]:
        rows = await self._uow.reads.fetch(STOCK_AND_PROMOTIONS, product_ids)
        return list(rows[0]["promotions"]), _levels(rows)

    async def levels(self, product_ids: list[str]) -> dict[str, int | None]:
        return _levels(await self._uow.reads.fetch(STOCK, product_ids))


class PostgresCustomerCarts:
    """`ports.CustomerCarts` on the `customer_carts` projection (`projections/customer_carts.py`)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def cart_ids(self, customer_id: str, limit: int) -> list[str]:
        rows = await self._uow.reads.fetch(CUSTOMER_CARTS, customer_id, limit)
        return [row["cart_id"] for row in rows]
