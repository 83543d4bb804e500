"""A real schema migration: `CartItemAdded` v1 (three loose price fields) became v2 (one
`unit_price` value). The fixture is a cart stream exactly as the cart service stored it before the
change (captured from a running service at commit 8f86e2a); stored events are never rewritten, so
the v1 rows must keep working forever: read by the aggregate, mixed with new v2 events in the same
stream, and checked out into the right order."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from services.cart.domain.cart import Cart
from services.cart.domain.events import CART_EVENTS, CartItemAdded
from shared.eventstore.database import connect
from shared.eventstore.store import EventStore, NewEvent
from tests.cart.conftest import ADDRESS, create_product
from tests.support.databases import rows_of
from tests.support.kafka import wait_for_envelope

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "cart_stream_v1.json").read_text())
REF: str = FIXTURE["cart_ref"]


def stored(stream_prefix: str) -> list[dict[str, Any]]:
    return [e for e in FIXTURE["events"] if e["stream_id"].startswith(stream_prefix)]


def test_v1_payloads_are_upcast_into_the_v2_shape() -> None:
    v1 = [e for e in stored("cart-") if e["event_type"] == "CartItemAdded"]
    assert {e["schema_version"] for e in v1} == {1} and CartItemAdded.schema_version == 2
    events = [CART_EVENTS.load(e["event_type"], e["schema_version"], e["data"]) for e in v1]
    prices = [(e.unit_price.amount, e.unit_price.currency, e.unit_price.includes_tax) for e in events]
    assert prices == [(1500, "USD", False), (250, "USD", True)]
    assert all(isinstance(e, CartItemAdded) for e in events)


def test_a_cart_rehydrated_from_v1_events_prices_as_before() -> None:
    history = [CART_EVENTS.load(e["event_type"], e["schema_version"], e["data"]) for e in stored("cart-")]
    cart = Cart.rehydrate(REF, history)
    lines = sorted((line.quantity, line.unit_amount, line.includes_tax) for line in cart.lines.values())
    assert lines == [(1, 250, True), (3, 1500, False)] and cart.currency == "USD"


async def seed_the_old_stream(database_url: str) -> None:
    """Write the captured rows as the old code wrote them: same ids, versions, payloads, metadata."""
    store = EventStore()
    conn = await connect(database_url)
    try:
        for prefix, stream_type in (("product-", "product"), ("cart-", "cart")):
            rows = stored(prefix)
            async with conn.transaction():
                await store.append(
                    conn,
                    rows[0]["stream_id"],
                    stream_type,
                    0,
                    [
                        NewEvent(
                            r["event_type"],
                            r["schema_version"],
                            r["data"],
                            r["metadata"],
                            UUID(r["event_id"]),
                            datetime.fromisoformat(r["occurred_at"]),
                        )
                        for r in rows
                    ],
                )
    finally:
        await conn.close()


def without_links(document: Any) -> Any:
    if isinstance(document, dict):
        return {k: without_links(v) for k, v in document.items() if k != "links"}
    if isinstance(document, list):
        return [without_links(v) for v in document]
    return document


async def test_the_service_serves_v1_carts_appends_v2_and_checks_out_both(
    cart_service, admin, shopper, kafka_bootstrap_servers, topic_prefix
):
    await seed_the_old_stream(cart_service.env["DATABASE_URL"])

    cart = (await shopper.get(f"/v2/carts/{REF}")).json()
    items = (await shopper.get(f"/v2/carts/{REF}/items")).json()
    assert without_links(cart) == without_links(FIXTURE["cart_after"])
    assert without_links(items) == without_links(FIXTURE["items_after"])

    newer = await create_product(admin, amount=700)
    added = await shopper.post(
        f"/v2/carts/{REF}/items", json={"data": {"type": "cart_item", "id": newer["id"], "quantity": 1}}
    )
    assert added.status_code == 201, added.text
    assert added.json()["meta"]["display_price"]["with_tax"]["amount"] == 3 * 1500 + 250 + 700

    checkout = await shopper.post(
        f"/v2/carts/{REF}/checkout",
        json={
            "data": {
                "customer": {"name": "Ann Perkins", "email": "ann@example.com"},
                "billing_address": ADDRESS,
            }
        },
    )
    assert checkout.status_code == 201, checkout.text
    order_id = checkout.json()["data"]["id"]
    envelope = await wait_for_envelope(
        kafka_bootstrap_servers, f"{topic_prefix}CartCheckedOut", lambda e: e.data["order_id"] == order_id
    )
    lines = sorted((i["quantity"], i["unit_price"]["amount"]) for i in envelope.data["items"])
    assert lines == [(1, 250), (1, 700), (3, 1500)]
    assert envelope.data["totals"]["with_tax"] == 5450

    versions = await rows_of(
        cart_service.env["DATABASE_URL"],
        "SELECT version, schema_version FROM events"
        " WHERE stream_id = $1 AND event_type = 'CartItemAdded' ORDER BY version",
        f"cart-{REF}",
    )
    assert [r["schema_version"] for r in versions] == [1, 1, 2]  # old rows never rewritten
