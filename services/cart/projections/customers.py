"""The customer list behind `GET /v2/customers` (admins); a deleted customer leaves it. The name and
email are as the events hold them: sealed under the customer's key (`customer_privacy`)."""

from __future__ import annotations

from typing import ClassVar

from services.cart.domain.events import CART_EVENTS, CustomerRegistered, CustomerUpdated
from shared.eventstore.database import DbConnection
from shared.projections.projection import Projected, Projection


class CustomersProjection(Projection):
    name: ClassVar[str] = "customers"
    registry = CART_EVENTS
    event_types = frozenset({"CustomerRegistered", "CustomerUpdated", "CustomerDeleted"})
    version = 2  # v1 kept deleted customers: rebuilt without them

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".customers ('
            " id text PRIMARY KEY, name text NOT NULL, email text NOT NULL,"
            " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
        ]

    async def apply(self, conn: DbConnection, schema: str, event: Projected) -> None:
        customer_id = event.stream_id.removeprefix("customer-")
        known = event.event
        if not isinstance(known, CustomerRegistered | CustomerUpdated):  # CustomerDeleted
            await conn.execute(f'DELETE FROM "{schema}".customers WHERE id = $1', customer_id)  # noqa: S608
            return
        await conn.execute(
            f'INSERT INTO "{schema}".customers VALUES ($1, $2, $3, $4, $4)'  # noqa: S608
            " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email,"
            " updated_at = EXCLUDED.updated_at",
            customer_id,
            known.name,
            known.email,
            event.occurred_at,
        )
