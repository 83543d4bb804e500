"""Per-order ordering rests on keys: every event of an order's life is keyed by the order id, so
one order's events on a topic share a partition and reach a consumer in the order they were
published. This reads whole topics back and checks the key of every message."""

from __future__ import annotations

import json

from tests.support.kafka import records_up_to_now

ORDER_TOPICS = (
    "CartCheckedOut",
    "OrderCreated",
    "StockAllocationRequested",
    "StockAllocated",
    "PaymentAuthorized",
    "PaymentCaptured",
    "OrderCompleted",
    "OrderFulfilmentRequested",
    "OrderShipped",
)


async def keys_that_are_not_the_order(bootstrap: str, prefix: str) -> tuple[int, list[str]]:
    """(messages read, descriptions of those whose key is not their `data.order_id`)."""
    records = await records_up_to_now(bootstrap, *(prefix + topic for topic in ORDER_TOPICS), timeout=120)
    wrong = []
    for record in records:
        order_id = json.loads(record.value)["data"]["order_id"]
        if record.key != order_id.encode():
            wrong.append(f"{record.topic}@{record.offset}: key {record.key!r}, order {order_id}")
    return len(records), wrong
