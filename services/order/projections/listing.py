"""Queries on the order list: `GET /v2/orders` with eq filters, paging and sorting.

Elastic Path caps `page[limit]` at 100 and `page[offset]` for orders hard at 10,000. Filters and
sorts are a fixed whitelist mapped to columns, so no client text ever becomes SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.order.projections.orders import OrdersProjection
from shared.domain.errors import DomainError
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
    orders: list[dict[str, Any]]  # Elastic Path order documents
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


async def list_orders(db: Executor, query: OrderQuery) -> OrderPage:
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidListQuery(f"page[limit] must be between 1 and {MAX_LIMIT}", source="page[limit]")
    if not 0 <= query.offset <= MAX_OFFSET:
        raise InvalidListQuery(f"page[offset] must be between 0 and {MAX_OFFSET}", source="page[offset]")
    where, args = _where(query.filters)
    total = await db.fetchval(f'SELECT count(*) FROM "{SCHEMA}".orders{where}', *args)  # noqa: S608
    n = len(args)
    rows = await db.fetch(
        f'SELECT document FROM "{SCHEMA}".orders{where}{_order_by(query.sort)}'  # noqa: S608
        f" LIMIT ${n + 1} OFFSET ${n + 2}",
        *args,
        query.limit,
        query.offset,
    )
    return OrderPage([r["document"] for r in rows], int(total), query.limit, query.offset)


async def items_of_orders(db: Executor, order_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Order item documents per order (for `include=items` on a list), in checkout order."""
    rows = await db.fetch(
        f'SELECT order_id, document FROM "{SCHEMA}".order_items'  # noqa: S608
        " WHERE order_id = ANY($1::text[]) ORDER BY order_id, position",
        list(order_ids),
    )
    items: dict[str, list[dict[str, Any]]] = {order_id: [] for order_id in order_ids}
    for row in rows:
        items[row["order_id"]].append(row["document"])
    return items
