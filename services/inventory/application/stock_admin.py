"""The admin's stock operations (`/v2/inventories`), and the catalogue's `manage_stock` flag."""

from __future__ import annotations

from services.inventory.application.levels import announce_level
from services.inventory.domain.stock import Stock, Transaction
from shared.contracts import events as contracts
from shared.contracts.envelope import utc_now
from shared.eventstore.unit_of_work import UnitOfWork

ADMIN_ACTIONS = ("increment", "decrement", "allocate", "deallocate")


async def create_stock(uow: UnitOfWork, product_id: str, quantity: int) -> Stock:
    stock = await uow.load(Stock, product_id)
    stock.set_quantity(quantity, utc_now())
    announce_level(uow, stock)
    return stock


async def delete_stock(uow: UnitOfWork, product_id: str) -> None:
    stock = await uow.load(Stock, product_id)
    stock.stop_tracking(utc_now())
    announce_level(uow, stock)


async def transact(uow: UnitOfWork, product_id: str, action: str, quantity: int) -> Transaction:
    stock = await uow.load(Stock, product_id)
    transaction = stock.transact(action, quantity, utc_now())
    announce_level(uow, stock)
    return transaction


async def learn_product(uow: UnitOfWork, product: contracts.ProductPublished) -> None:
    stock = await uow.load(Stock, product.product_id)
    before = stock.current_version
    stock.set_managed(product.manage_stock, utc_now())
    if stock.current_version != before:
        announce_level(uow, stock)
