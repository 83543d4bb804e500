"""Promotions stored with `automatic: true` before carts applied them start applying once the service
has the list of automatic promotions: it is filled from the event log when it is first created, with
each promotion's latest definition (enabled and automatic) and never a deleted one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg

from services.cart.adapters.tables import CART_DDL
from services.cart.domain.events import PromotionDefined, PromotionDeleted
from shared.contracts.registry import VersionedEvent
from shared.eventstore.database import connect, create_pool, migrate
from shared.eventstore.store import EventStore, NewEvent
from tests.cart.conftest import create_product, new_cart

AT = datetime(2024, 1, 1, tzinfo=UTC)


def definition(amount: int, *, automatic: bool = True, enabled: bool = True) -> PromotionDefined:
    return PromotionDefined(
        name=f"Stored {amount}",
        enabled=enabled,
        automatic=automatic,
        promotion_type="fixed_discount",
        promotion_schema={"currencies": [{"currency": "SEK", "amount": amount}]},
        start=datetime(2020, 1, 1, tzinfo=UTC),
        end=datetime(2099, 1, 1, tzinfo=UTC),
        at=AT,
    )


def stored(event: VersionedEvent) -> NewEvent:
    return NewEvent(type(event).__name__, event.schema_version, event.model_dump(mode="json"))


async def store_promotion(conn: asyncpg.Connection, *events: VersionedEvent) -> str:
    promotion_id = str(uuid4())
    async with conn.transaction():
        await EventStore().append(
            conn, f"promotion-{promotion_id}", "promotion", 0, [stored(e) for e in events]
        )
    return promotion_id


async def test_automatic_promotions_stored_before_the_list_existed_apply(cart_service, admin, shopper):
    dsn = cart_service.env["DATABASE_URL"]
    conn = await connect(dsn)
    try:
        await conn.execute("DROP TABLE automatic_promotions")  # as before this version of the service
        applies = await store_promotion(conn, definition(100))
        redefined = await store_promotion(conn, definition(200, automatic=False), definition(300))
        await store_promotion(conn, definition(1000), PromotionDeleted(at=AT))
        await store_promotion(conn, definition(2000), definition(2000, automatic=False))
        await store_promotion(conn, definition(4000, enabled=False))
    finally:
        await conn.close()
    pool = await create_pool(dsn)
    try:
        await migrate(pool, CART_DDL)  # what the service runs when it starts
    finally:
        await pool.close()

    product = await create_product(admin, amount=10000, currency="SEK")
    answer = await shopper.post(
        f"/v2/carts/{new_cart()}/items",
        json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}},
        headers={"X-MOLTIN-CURRENCY": "SEK"},
    )
    assert answer.status_code == 201, answer.text
    items: dict[str, Any] = answer.json()
    promotions = sorted(i["promotion_id"] for i in items["data"] if i["type"] == "promotion_item")
    assert promotions == sorted([applies, redefined])
    assert items["meta"]["display_price"]["discount"]["amount"] == -(100 + 300)
