"""No oversell across several instances: 200 shoppers check out one unit each against a stock of
50, then all pay at once through two payment instances, with two inventory instances sharing the
work, and one inventory instance SIGKILLed and restarted in the middle of the storm. Exactly 50
payments succeed; the 150 others are refused with the stock error and charge nothing; and at no
version of the product's stock stream was more allocated than there was. Under both policies:
allocation at payment (Elastic Path's) and reservation at checkout."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from uuid import uuid4

import asyncpg
import httpx
import orjson
import pytest

from tests.cart.conftest import ADDRESS, create_product
from tests.support.own_database import start_on_own_database
from tests.support.polling import poll_until
from tests.support.services import authenticated_client

STOCK, SHOPPERS = 50, 200


@pytest.fixture(scope="module", params=["allocate_on_payment", "reserve_on_checkout"])
async def stack(request, postgres, kafka_bootstrap_servers, tmp_path_factory):
    work = Path(tmp_path_factory.mktemp("scale"))
    kafka, prefix = kafka_bootstrap_servers, f"scale{uuid4().hex[:8]}."
    policy = {"INVENTORY_POLICY": request.param, "INVENTORY_RESERVATION_TTL_SECONDS": "600"}
    # The storm pays 200 orders at once: allocations and the last checkouts' consumption lag, and the
    # killed inventory member's partitions wait for its session to time out (10 s) and one rebalance
    # (tests/kernel/test_group_settles_after_kill.py bounds that).
    slow = {
        "PAYMENT_ALLOCATION_TIMEOUT_SECONDS": "90",
        "PAYMENT_ORDER_WAIT_SECONDS": "90",
        "PAYMENT_SESSION_POOL_SIZE": "40",
    }
    cart = await start_on_own_database("services.cart", postgres, kafka, prefix, work)
    order = await start_on_own_database("services.order", postgres, kafka, prefix, work)
    inventory_db = f"inventory_{uuid4().hex[:8]}"
    payment_db = f"payment_{uuid4().hex[:8]}"
    await postgres.create_database(inventory_db)
    await postgres.create_database(payment_db)
    inventories = [
        await start_on_own_database(
            "services.inventory", postgres, kafka, prefix, work, inventory_db, **policy
        )
        for _ in range(2)
    ]
    payments = [
        await start_on_own_database("services.payment", postgres, kafka, prefix, work, payment_db, **slow)
        for _ in range(2)
    ]
    services = {
        "cart": cart,
        "order": order,
        "inventories": inventories,
        "payments": payments,
        "inventory_dsn": postgres.dsn(inventory_db),
        "policy": request.param,
    }
    yield services
    for service in (cart, order, *inventories, *payments):
        service.stop()


def _title(answer: httpx.Response) -> str:
    """The EP error title of an answer, or its first characters when it is not an EP error."""
    try:
        return str(answer.json()["errors"][0]["title"])
    except (ValueError, KeyError, IndexError, TypeError):
        return answer.text[:120]


def _refused_for_stock(answer: httpx.Response) -> bool:
    return answer.status_code in (400, 422) and _title(answer) in (
        "Insufficient stock",
        "Cannot complete request",
    )


async def test_exactly_fifty_of_two_hundred_pay_even_when_inventory_is_killed_mid_storm(stack):
    cart_admin = await authenticated_client(stack["cart"].url, admin=True)
    shopper = await authenticated_client(stack["cart"].url, admin=False)
    stock_admin = await authenticated_client(stack["inventories"][0].url, admin=True)
    payers = [await authenticated_client(p.url, admin=False) for p in stack["payments"]]
    policy = stack["policy"]
    try:
        product = await create_product(cart_admin, amount=1000, manage_stock=True)
        assert (
            await stock_admin.post(f"/v2/inventories/{product['id']}", json={"data": {"quantity": STOCK}})
        ).status_code == 201
        add = {"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
        available = await poll_until(  # until the availability reached the cart (over Kafka)
            lambda: shopper.post(f"/v2/carts/{uuid4().hex}/items", json=add), lambda r: r.status_code == 201
        )
        assert available.status_code == 201, available.text

        async def check_out() -> str | None:
            """The order id; None when the cart already refuses the stock (reserve policy: the
            reservations taken at checkout make availability reach 0 before the storm of payments)."""
            ref = uuid4().hex
            added = await shopper.post(f"/v2/carts/{ref}/items", json=add)
            if added.status_code == 400 and policy == "reserve_on_checkout":
                assert added.json()["errors"][0]["title"] == "Insufficient stock"
                return None
            assert added.status_code == 201, added.text
            response = await shopper.post(
                f"/v2/carts/{ref}/checkout",
                json={
                    "data": {
                        "customer": {"name": "Shopper", "email": "shopper@example.com"},
                        "billing_address": ADDRESS,
                    }
                },
            )
            if response.status_code == 400 and policy == "reserve_on_checkout":
                return None
            assert response.status_code == 201, response.text
            return str(response.json()["data"]["id"])

        attempts: list[str | None] = []
        for _ in range(SHOPPERS // 20):
            attempts += await asyncio.gather(*(check_out() for _ in range(20)))
        orders = [order_id for order_id in attempts if order_id is not None]
        assert len(set(orders)) == len(orders)
        assert len(orders) == SHOPPERS if policy == "allocate_on_payment" else len(orders) >= STOCK

        async def pay(i: int, order_id: str):
            return await payers[i % 2].post(
                f"/v2/orders/{order_id}/payments",
                json={"data": {"gateway": "manual", "method": "authorize"}},  # a shopper's manual payment
                timeout=180,
            )

        async def kill_and_restart_inventory() -> None:
            await asyncio.sleep(0.5)  # mid-storm
            victim = stack["inventories"][1]
            victim.kill()
            await asyncio.sleep(1.0)
            await victim.restart()

        results = await asyncio.gather(
            *(pay(i, o) for i, o in enumerate(orders)), kill_and_restart_inventory()
        )
        answers = dict(zip(orders, results[:-1], strict=True))
        succeeded = [o for o, a in answers.items() if a.status_code in (200, 201)]
        refused = [o for o, a in answers.items() if _refused_for_stock(a)]
        unexpected = Counter(
            f"{a.status_code} {_title(a)}" for o, a in answers.items() if o not in {*succeeded, *refused}
        )
        # Every payment gets a definite answer: paid, or refused for stock. Never a timeout or a 5xx.
        assert not unexpected, f"answers neither paid nor refused for stock (count each): {dict(unexpected)}"
        assert len(succeeded) == STOCK and len(refused) == len(orders) - STOCK
        for order_id in refused:  # and a refused shopper is charged nothing
            listed = await payers[0].get(f"/v2/orders/{order_id}/transactions")
            assert listed.status_code == 200, listed.text
            charged = [t for t in listed.json()["data"] if t["status"] not in ("failed", "cancelled")]
            assert charged == [], f"refused order {order_id} holds transactions {charged}"
        assert all(answers[o].json()["data"]["status"] == "complete" for o in succeeded)

        conn = await asyncpg.connect(stack["inventory_dsn"])
        try:
            rows = await conn.fetch(
                "SELECT data FROM events WHERE stream_id = $1 AND event_type = 'StockMovement'"
                " ORDER BY version",
                f"stock-{product['id']}",
            )
        finally:
            await conn.close()
        movements = [orjson.loads(r["data"]) if isinstance(r["data"], str) else r["data"] for r in rows]
        assert all(m["allocated_after"] <= m["total_after"] == STOCK for m in movements)
        assert max(m["allocated_after"] for m in movements) == STOCK
        assert sum(1 for m in movements if m["action"] == "allocate") == STOCK
    finally:
        for client in (cart_admin, shopper, stock_admin, *payers):
            await client.aclose()
