"""Once an admin has flagged an order `fulfilled`, it cannot be cancelled, even before the fulfilment
service has shipped it: flagging and cancelling cannot both win.

Deterministic: no fulfilment service runs here, so the order stays "fulfilment requested, not
shipped" for as long as the test looks at it (the end-to-end test only saw this when the cancel
arrived before the shipment)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from services.order.domain.errors import FulfilledOrderCannotBeCancelled
from services.order.domain.events import (
    FulfilmentRequested,
    OrderBecameComplete,
    OrderPlaced,
    TransactionCaptured,
)
from services.order.domain.order import Order
from tests.order.builders import NOW, TOTAL, captured, checkout
from tests.support.kafka import publish_event
from tests.support.own_database import start_on_own_database
from tests.support.polling import poll_until
from tests.support.services import RunningService, authenticated_client

CANCEL = {"data": {"type": "order", "status": "cancelled"}}
FULFIL = {"data": {"type": "order", "shipping": "fulfilled"}}


def test_the_aggregate_refuses_to_cancel_an_order_whose_fulfilment_was_requested() -> None:
    fresh = Order("o-1")
    fresh.place(checkout("o-1"))
    [placed] = fresh.take_pending()
    assert isinstance(placed, OrderPlaced)
    order = Order.rehydrate(
        "o-1",
        [
            placed,
            TransactionCaptured(transaction_id="t1", gateway="manual", amount=TOTAL, at=NOW),
            OrderBecameComplete(at=NOW),
            FulfilmentRequested(at=NOW),
        ],
    )
    assert not order.fulfilled  # not shipped: only requested
    with pytest.raises(FulfilledOrderCannotBeCancelled):
        order.cancel("too late", NOW)
    assert order.peek_pending() == [] and not order.cancelled


@pytest.fixture(scope="module")
def topic_prefix() -> str:
    return f"ordercancel{uuid4().hex[:8]}."


@pytest.fixture(scope="module")
async def order_service(
    postgres, kafka_bootstrap_servers: str, topic_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningService]:
    service = await start_on_own_database(
        "services.order",
        postgres,
        kafka_bootstrap_servers,
        topic_prefix,
        Path(tmp_path_factory.mktemp("order")),
    )
    yield service
    service.stop()


@pytest.fixture(scope="module")
async def admin(order_service: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    client = await authenticated_client(order_service.url, admin=True)
    yield client
    await client.aclose()


async def paid_order(admin: httpx.AsyncClient, kafka: str, prefix: str) -> str:
    """An order checked out and captured in full (both facts cross Kafka), once the service shows it paid."""
    order_id = str(uuid4())
    await publish_event(kafka, prefix, checkout(order_id), order_id, producer="cart")
    await publish_event(kafka, prefix, captured(order_id, f"txn-{order_id}"), order_id, producer="payment")
    state = await poll_until(
        lambda: statuses(admin, order_id), lambda s: s == ("complete", "paid", "unfulfilled")
    )
    assert state == ("complete", "paid", "unfulfilled")
    return order_id


async def statuses(admin: httpx.AsyncClient, order_id: str) -> tuple[str, str, str] | int:
    response = await admin.get(f"/v2/orders/{order_id}")
    if response.status_code != 200:
        return response.status_code
    data: dict[str, Any] = response.json()["data"]
    return data["status"], data["payment"], data["shipping"]


async def test_an_order_flagged_fulfilled_cannot_be_cancelled_over_http(
    admin, kafka_bootstrap_servers, topic_prefix
):
    order_id = await paid_order(admin, kafka_bootstrap_servers, topic_prefix)
    flagged = await admin.put(f"/v2/orders/{order_id}", json=FULFIL)
    assert flagged.status_code == 200, flagged.text
    assert flagged.json()["data"]["shipping"] == "fulfilled"

    refused = await admin.put(f"/v2/orders/{order_id}", json=CANCEL)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert (error["status"], error["title"]) == (422, "Order cannot be cancelled")
    assert await statuses(admin, order_id) == ("complete", "paid", "fulfilled")


async def test_the_same_paid_order_not_flagged_can_be_cancelled(admin, kafka_bootstrap_servers, topic_prefix):
    """The control: the refusal above comes from the fulfilment request, not from being paid."""
    order_id = await paid_order(admin, kafka_bootstrap_servers, topic_prefix)
    cancelled = await admin.put(f"/v2/orders/{order_id}", json=CANCEL)
    assert cancelled.status_code == 200, cancelled.text
    assert await statuses(admin, order_id) == ("cancelled", "paid", "unfulfilled")


async def test_cancelling_an_order_no_checkout_made_is_a_404_after_the_checkout_wait(admin):
    """An unknown id may be a checkout not consumed yet: the PUT waits for it (ORDER_CHECKOUT_WAIT_SECONDS,
    3 s by default here), then answers EP's 404, and nothing is made for it."""
    unknown = str(uuid4())
    answer = await admin.put(f"/v2/orders/{unknown}", json=CANCEL, timeout=30)
    assert answer.status_code == 404, answer.text
    [error] = answer.json()["errors"]
    assert (error["status"], error["title"]) == (404, "Not Found")
    assert await statuses(admin, unknown) == 404
