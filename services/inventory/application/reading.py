"""Reads for `/v2/inventories`: one product's stock and history from its stream (read your
writes), lists from the `stock` read model (`STOCK_LISTING`). On PostgreSQL every read runs
straight on the pool, without a transaction: a stock is its snapshot and the events after it (two
statements), a page of its history one more."""

from __future__ import annotations

from collections.abc import Iterable

from services.inventory.application.ports import STOCK_LISTING
from services.inventory.domain.errors import StockNotFound
from services.inventory.domain.stock import Stock, Transaction, stock_transactions
from shared.eventstore.port import EventDatabase

MOVEMENT = "StockMovement"


async def get_stock(database: EventDatabase, product_id: str) -> Stock:
    """The product's stock; StockNotFound (404) when its stock is not managed."""
    stock = await database.read(Stock, product_id)
    if not stock.tracked:
        raise StockNotFound(product_id)
    return stock


async def get_many(database: EventDatabase, product_ids: Iterable[str]) -> list[Stock]:
    """The stock of each managed product among `product_ids`, in the order asked; others left out."""
    found: list[Stock] = []
    for product_id in dict.fromkeys(product_ids):
        stock = await database.read(Stock, product_id)
        if stock.tracked:
            found.append(stock)
    return found


async def get_transactions(
    database: EventDatabase, product_id: str, limit: int, offset: int
) -> tuple[list[Transaction], int]:
    """A page of the product's stock transactions, oldest first, and how many there are; read from
    its stream (read your writes) a page at a time. StockNotFound (404) when it is not managed."""
    await get_stock(database, product_id)
    page, total = await database.history_page(Stock, product_id, [MOVEMENT], limit, offset)
    return stock_transactions(page), total


async def get_transaction(database: EventDatabase, product_id: str, transaction_id: str) -> Transaction:
    """One transaction of the product's history; StockNotFound (404) when there is none such."""
    await get_stock(database, product_id)
    found = await database.find_events(Stock, product_id, MOVEMENT, "transaction_id", transaction_id)
    if not found:
        raise StockNotFound(product_id)
    return stock_transactions(found)[0]


async def list_stock(database: EventDatabase, limit: int, offset: int) -> tuple[list[str], int]:
    """A page of managed products (oldest stock first) and how many there are."""
    return await database.adapter(STOCK_LISTING).page(limit, offset)
