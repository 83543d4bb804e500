"""The cart's own tables in memory (the fast tier), behind the same ports as PostgreSQL's:
`provide_in_memory_tables(database)` puts them on an `InMemoryDatabase` and returns its tables."""

from __future__ import annotations

from services.cart.adapters.in_memory.adapters import (
    InMemoryCustomerCarts,
    InMemoryEmailClaims,
    InMemoryPromotionIndex,
    InMemorySkuClaims,
    InMemoryStockAndPromotions,
    InMemoryStockLevels,
)
from services.cart.adapters.in_memory.tables import CartTables, StagedTables, staged_tables
from services.cart.application.ports import (
    CUSTOMER_CARTS,
    EMAIL_CLAIMS,
    PROMOTION_INDEX,
    SKU_CLAIMS,
    STOCK_AND_PROMOTIONS,
    STOCK_LEVELS,
)
from shared.eventstore.in_memory import InMemoryDatabase
from shared.eventstore.port import UnitOfWork


def provide_in_memory_tables(database: InMemoryDatabase) -> CartTables:
    """Every cart port on `database`, on one `CartTables` (returned: a test reads it, and records
    stock levels in it as inventory's messages would)."""
    committed = CartTables()

    def on(uow: UnitOfWork) -> StagedTables:
        return staged_tables(committed, uow)

    database.adapters.provide(SKU_CLAIMS, lambda uow: InMemorySkuClaims(on(uow)))
    database.adapters.provide(EMAIL_CLAIMS, lambda uow: InMemoryEmailClaims(on(uow)))
    database.adapters.provide(PROMOTION_INDEX, lambda uow: InMemoryPromotionIndex(on(uow)))
    database.adapters.provide(STOCK_AND_PROMOTIONS, lambda uow: InMemoryStockAndPromotions(on(uow)))
    database.adapters.provide(STOCK_LEVELS, lambda uow: InMemoryStockLevels(on(uow)))
    database.adapters.provide(CUSTOMER_CARTS, lambda uow: InMemoryCustomerCarts(database.store))
    return committed


__all__ = ["CartTables", "provide_in_memory_tables"]
