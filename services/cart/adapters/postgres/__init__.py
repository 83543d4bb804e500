"""The cart's own tables in PostgreSQL (`adapters/tables.py` creates them), behind the ports of
`application/ports.py`: each adapter is built on one unit of work and writes in its transaction."""

from __future__ import annotations

from services.cart.adapters.postgres.claims import PostgresEmailClaims, PostgresSkuClaims
from services.cart.adapters.postgres.promotions import PostgresPromotionIndex
from services.cart.adapters.postgres.reads import PostgresCustomerCarts, PostgresStockAndPromotions
from services.cart.adapters.postgres.stock_levels import PostgresStockLevels
from services.cart.application.ports import (
    CUSTOMER_CARTS,
    EMAIL_CLAIMS,
    PROMOTION_INDEX,
    SKU_CLAIMS,
    STOCK_AND_PROMOTIONS,
    STOCK_LEVELS,
)
from shared.eventstore.port import Adapters


def provide_postgres_tables(adapters: Adapters) -> None:
    """Every cart port on PostgreSQL's adapters (the service's bootstrap)."""
    adapters.provide(SKU_CLAIMS, PostgresSkuClaims)
    adapters.provide(EMAIL_CLAIMS, PostgresEmailClaims)
    adapters.provide(PROMOTION_INDEX, PostgresPromotionIndex)
    adapters.provide(STOCK_AND_PROMOTIONS, PostgresStockAndPromotions)
    adapters.provide(STOCK_LEVELS, PostgresStockLevels)
    adapters.provide(CUSTOMER_CARTS, PostgresCustomerCarts)


__all__ = [
    "PostgresCustomerCarts",
    "PostgresEmailClaims",
    "PostgresPromotionIndex",
    "PostgresSkuClaims",
    "PostgresStockAndPromotions",
    "PostgresStockLevels",
    "provide_postgres_tables",
]
