"""Which carts are each customer's, behind `GET /v2/carts`.

A row per associated cart: added by `CustomerCartAssociated`, removed by `CustomerCartDissociated`
or `CartDeleted` (a deleted cart loses its associations). It folds only those, so the runner never
wakes for the many other cart events (each would cost a transaction on every add to any cart); the
list sorts the customer's carts by their own `updated_at`, read from their streams.
"""

from __future__ import annotations

from typing import ClassVar

from services.cart.domain.associations import CustomerCartAssociated
from services.cart.domain.events import CART_EVENTS
from shared.eventstore.database import DbConnection
from shared.projections.projection import Projected, Projection


class CustomerCartsProjection(Projection):
    name: ClassVar[str] = "customer_carts"
    registry = CART_EVENTS
    event_types = frozenset({"CustomerCartAssociated", "CustomerCartDissociated", "CartDeleted"})

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".customer_carts ('
            " cart_id text PRIMARY KEY, customer_id text NOT NULL, created_at timestamptz NOT NULL)",
            f'CREATE INDEX IF NOT EXISTS customer_carts_by_customer ON "{schema}".customer_carts'
            " (customer_id, created_at DESC)",
        ]

    async def apply(self, conn: DbConnection, schema: str, event: Projected) -> None:
        cart_id = event.stream_id.removeprefix("cart-")
        associated = event.event
        if isinstance(associated, CustomerCartAssociated):
            await conn.execute(
                f'INSERT INTO "{schema}".customer_carts VALUES ($1, $2, $3)'  # noqa: S608
                " ON CONFLICT (cart_id) DO UPDATE SET customer_id = EXCLUDED.customer_id,"
                " created_at = EXCLUDED.created_at",
                cart_id,
                associated.customer_id,
                event.occurred_at,
            )
        else:
            await conn.execute(f'DELETE FROM "{schema}".customer_carts WHERE cart_id = $1', cart_id)  # noqa: S608
