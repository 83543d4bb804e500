"""One correlation id from an HTTP request to every event it caused, in every service it reached,
and in those services' JSON logs: support can follow a payment from the shopper's click to the
order completing."""

from __future__ import annotations

import json
from uuid import uuid4

import asyncpg

from tests.e2e.shop import checkout, eventually, managed_product, order_state
from tests.support.polling import poll_until
from tests.support.services import RunningService


async def events_correlated(service: RunningService, correlation_id: str) -> list[str]:
    conn = await asyncpg.connect(service.env["DATABASE_URL"])
    try:
        rows = await conn.fetch(
            "SELECT event_type FROM events WHERE metadata->>'correlation_id' = $1"
            " ORDER BY transaction_id, position",
            correlation_id,
        )
    finally:
        await conn.close()
    return [r["event_type"] for r in rows]


def log_lines_with(service: RunningService, correlation_id: str) -> list[dict]:
    lines = []
    for raw in service.process.log_path.read_text(errors="replace").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict) and line.get("correlation_id") == correlation_id:
            lines.append(line)
    return lines


async def test_a_payment_requests_correlation_id_reaches_every_event_and_log_it_caused(
    api, payment_service, inventory_service, order_service
):
    product = await managed_product(api, 3)
    order = await checkout(api, product, 1)
    correlation_id = f"support-case-{uuid4().hex[:8]}"

    paid = await api["pay_admin"].post(  # the admin records a payment received outside the platform
        f"/v2/orders/{order['id']}/payments",
        json={"data": {"gateway": "manual", "method": "purchase"}},
        headers={"X-Correlation-ID": correlation_id},
    )
    assert paid.status_code == 200, paid.text
    assert paid.headers["X-Correlation-ID"] == correlation_id
    await eventually(lambda: order_state(api, order["id"]), lambda s: s[:2] == ("complete", "paid"), "paid")

    caused = {
        "payment": await events_correlated(payment_service, correlation_id),
        "inventory": await events_correlated(inventory_service, correlation_id),
        "order": await events_correlated(order_service, correlation_id),
    }
    assert {"PaymentRequested", "TransactionCaptured"} <= set(caused["payment"]), caused
    assert "OrderStockAllocated" in caused["inventory"], caused
    assert {"TransactionCaptured", "OrderCompleted"} <= set(caused["order"]), caused

    for service in (payment_service, inventory_service, order_service):
        # A service logs a message it handled after its transaction commits: the line may follow.
        lines = await poll_until(lambda service=service: log_lines_with(service, correlation_id), bool)
        assert lines, f"{service.name} logged nothing with {correlation_id}"
        assert all(line.get("service") for line in lines)
