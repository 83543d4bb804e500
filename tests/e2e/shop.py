"""A shopper's and an admin's moves across the five services, for the end-to-end tests: clients
for each service, a managed product with stock, a checkout, and polling until a state is reached."""

from __future__ import annotations

from uuid import uuid4

from tests.cart.conftest import ADDRESS, create_product
from tests.support.polling import DEADLINE_SECONDS, poll_until
from tests.support.services import authenticated_client


async def api_clients(cart_service, order_service, payment_service, inventory_service) -> dict:
    """Authenticated clients by role: admin and shopper on the cart, admin on orders, payments
    as shopper and admin, admin on stock."""
    return {
        "cart_admin": await authenticated_client(cart_service.url, admin=True),
        "shopper": await authenticated_client(cart_service.url, admin=False),
        "orders": await authenticated_client(order_service.url, admin=True),
        "pay_shopper": await authenticated_client(payment_service.url, admin=False),
        "pay_admin": await authenticated_client(payment_service.url, admin=True),
        "stock": await authenticated_client(inventory_service.url, admin=True),
    }


async def eventually(read, check, what: str, timeout: float = DEADLINE_SECONDS):
    """`read()` until `check` holds; a deadline, not a count of tries, because each try is slow on a
    busy machine and the effect crosses Kafka (see `tests.support.polling`)."""
    value = await poll_until(read, check, timeout=timeout)
    assert check(value), f"{what}: last seen {value}"
    return value


async def stock(api, product_id: str) -> tuple[int, int, int]:
    body = (await api["stock"].get(f"/v2/inventories/{product_id}")).json()["data"]
    return body["total"], body["allocated"], body["available"]


ABSENT = ("absent", "absent", "absent")


async def placed_state(api, order_id: str) -> tuple[str, str, str]:
    """The order's statuses once the order service has it."""
    return await eventually(lambda: order_state(api, order_id), lambda s: s != ABSENT, f"order {order_id}")


async def order_state(api, order_id: str) -> tuple[str, str, str]:
    """The order's three statuses; ABSENT while the order service has not consumed the
    checkout yet (a read waits only a few seconds for it, less than the consumer may lag here)."""
    response = await api["orders"].get(f"/v2/orders/{order_id}")
    if response.status_code == 404:
        return ABSENT
    body = response.json()["data"]
    return body["status"], body["payment"], body["shipping"]


async def managed_product(api, quantity: int, *, amount: int = 5000) -> dict:
    product = await create_product(api["cart_admin"], amount=amount, manage_stock=True)
    created = await api["stock"].post(
        f"/v2/inventories/{product['id']}", json={"data": {"quantity": quantity}}
    )
    assert created.status_code == 201, created.text
    return product


async def checkout(api, product: dict, quantity: int, *, promotion_code: str | None = None) -> dict:
    ref = uuid4().hex
    await eventually(
        lambda: api["shopper"].post(
            f"/v2/carts/{ref}/items",
            json={"data": {"type": "cart_item", "id": product["id"], "quantity": quantity}},
        ),
        lambda r: r.status_code == 201,
        "availability reached the cart",
    )
    if promotion_code is not None:
        applied = await api["shopper"].post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "promotion_item", "code": promotion_code}}
        )
        assert applied.status_code == 201, applied.text
    response = await api["shopper"].post(
        f"/v2/carts/{ref}/checkout",
        json={"data": {"customer": {"name": "Ron", "email": "ron@example.com"}, "billing_address": ADDRESS}},
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def authorize(api, order_id: str):
    """The shopper's manual payment: `authorize` (the money comes outside the platform, later)."""
    return await api["pay_shopper"].post(
        f"/v2/orders/{order_id}/payments", json={"data": {"gateway": "manual", "method": "authorize"}}
    )


async def authorize_and_capture(api, order_id: str) -> dict:
    """A manual payment as a shop takes one: the shopper authorizes, the admin captures once the
    money has come (only an admin may say it has); the captured transaction."""
    authorized = await authorize(api, order_id)
    assert authorized.status_code == 200, authorized.text
    transaction_id = authorized.json()["data"]["id"]
    captured = await api["pay_admin"].post(f"/v2/orders/{order_id}/transactions/{transaction_id}/capture")
    assert captured.status_code == 200, captured.text
    transaction: dict = captured.json()["data"]
    return transaction
