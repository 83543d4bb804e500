"""The admin's stock operations (`/v2/inventories`), and the catalogue's `manage_stock` flag.

Each function runs inside the caller's unit of work (`Database.run` retries it on a concurrency
conflict) and announces the product's new level.
"""

from __future__ import annotations

from services.inventory.application.levels import announce_level
from services.inventory.domain.stock import AdminAction, Stock, Transaction
from shared.contracts import events as contracts
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork


async def create_stock(uow: UnitOfWork, product_id: str, quantity: int) -> Stock:
    """`POST /v2/inventories/:id`: set (or initialise) the product's stock to `quantity`."""
    stock = await uow.load(Stock, product_id)
    stock.set_quantity(quantity, utc_now())
    announce_level(uow, stock)
    return stock


async def delete_stock(uow: UnitOfWork, product_id: str) -> None:
    """`DELETE /v2/inventories/:id`: stop managing the product's stock."""
    stock = await uow.load(Stock, product_id)
    stock.stop_tracking(utc_now())
    announce_level(uow, stock)


async def transact(uow: UnitOfWork, product_id: str, action: AdminAction, quantity: int) -> Transaction:
    """`POST /v2/inventories/:id/transactions`: increment, decrement, allocate or deallocate."""
    stock = await uow.load(Stock, product_id)
    transaction = stock.transact(action, quantity, utc_now())
    announce_level(uow, stock)
    return transaction


async def learn_product(uow: UnitOfWork, product: contracts.ProductPublished) -> None:
    """`ProductPublished`: whether the catalogue manages this product's stock."""
    stock = await uow.load(Stock, product.product_id)
    if stock.set_managed(product.manage_stock, utc_now()):
        announce_level(uow, stock)
