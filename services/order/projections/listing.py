"""Queries on the order list: `GET /v2/orders` with eq filters, paging and sorting.

Each row becomes the same `OrderView` a single read makes: its statuses from the columns and its
checkout from the stored `OrderPlaced` facts (upcast like any stored event), so the documents are
built by the code that builds every other order document.

Elastic Path caps `page[limit]` at 100 and `page[offset]` for orders hard at 10,000. Filters and
sorts are a fixed whitelist mapped to columns, so no client text ever becomes SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.order.domain.events import ORDER_EVENTS, OrderPlaced
from services.order.domain.view import OrderView, checkout_of
from services.order.projections.orders import OrdersProjection
from shared.domain.errors import DomainError
from shared.domain.order_state import OrderState
from shared.eventstore.database import Executor

MAX_LIMIT = 100
MAX_OFFSET = 10_000
DEFAULT_LIMIT = 25
SCHEMA = OrdersProjection().schema

# Elastic Path's filter attribute -> column (all `eq`).
FILTER_COLUMNS = {
    "status": "status",
    "payment": "payment",
    "shipping": "shipping",
    "customer_id": "customer_id",
    "email": "customer_email",
    "name": "customer_name",
    "currency": "currency",
    "order_number": "order_number",
    "external_ref": "external_ref",
}
SORT_COLUMNS = {
    "created_at": "created_at",
    "status": "status",
    "payment": "payment",
    "shipping": "shipping",
    "with_tax": "with_tax",
}


class InvalidListQuery(DomainError):
    status = 400
    title = "Bad Request"


@dataclass(frozen=True)
class OrderQuery:
    """`filters` maps Elastic Path attributes (`status`, `customer_id`, ...) to the value to equal;
    `sort` is an attribute, `-` first for descending."""

    filters: tuple[tuple[str, str], ...] = ()
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str = "-created_at"


@dataclass(frozen=True)
class OrderPage:
    orders: list[OrderView]
    total: int  # every order matching the filters (`meta.results.total`)
    limit: int
    offset: int


def _where(filters: Sequence[tuple[str, str]]) -> tuple[str, list[Any]]:
    clauses, args = [], []
    for attribute, value in filters:
        column = FILTER_COLUMNS.get(attribute)
        if column is None:
            raise InvalidListQuery(f"Cannot filter orders by {attribute}", source="filter")
        args.append(value)
        clauses.append(f"{column} = ${len(args)}")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _order_by(sort: str) -> str:
    column = SORT_COLUMNS.get(sort.removeprefix("-"))
    if column is None:
        raise InvalidListQuery(f"Cannot sort orders by {sort}", source="sort")
    direction = "DESC" if sort.startswith("-") else "ASC"
    return f" ORDER BY {column} {direction}, created_at {direction}, id {direction}"


_LISTED = "id, status, payment, shipping, authorized, paid, updated_at, placed_version, placed"


def _view(row: asyncpg.Record) -> OrderView:
    placed = ORDER_EVENTS.load("OrderPlaced", row["placed_version"], row["placed"])
    assert isinstance(placed, OrderPlaced)
    state = OrderState(
        status=row["status"],
        payment=row["payment"],
        shipping=row["shipping"],
        authorized=row["authorized"],
        paid=row["paid"],
        updated_at=row["updated_at"],
    )
    return OrderView(checkout_of(row["id"], placed), state)


async def list_orders(db: Executor, query: OrderQuery) -> OrderPage:
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidListQuery(f"page[limit] must be between 1 and {MAX_LIMIT}", source="page[limit]")
    if not 0 <= query.offset <= MAX_OFFSET:
        raise InvalidListQuery(f"page[offset] must be between 0 and {MAX_OFFSET}", source="page[offset]")
    where, args = _where(query.filters)
    counted = f'SELECT count(*) FROM "{SCHEMA}".orders{where}'  # noqa: S608
    n = len(args)
    # The page and its total in one statement, so one snapshot: counted apart, an order placed
    # between the two reads would be listed but not counted (or counted but not listed).
    rows = await db.fetch(
        f'SELECT {_LISTED}, ({counted}) AS total FROM "{SCHEMA}".orders{where}'  # noqa: S608
        f"{_order_by(query.sort)} LIMIT ${n + 1} OFFSET ${n + 2}",
        *args,
        query.limit,
        query.offset,
    )
    # A page past the end has no row to carry the total: count alone (nothing listed to disagree with).
    total = rows[0]["total"] if rows else await db.fetchval(counted, *args)
    return OrderPage([_view(row) for row in rows], int(total), query.limit, query.offset)
