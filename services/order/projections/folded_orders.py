"""The orders the order list folded lately, so a batch continues each from where the last one left it.

Re-reading and re-folding an order's whole stream for every batch was half of a rebuild's work (each
event decoded twice, every stream read once more). Stored events never change, so an order folded to
version v is right whatever happened to the projection's transaction since; anything that does not
continue it exactly (a gap, a batch applied again after a rollback, an order not remembered) makes
the caller fold from the stream as before.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from services.order.domain.events import ORDER_EVENTS
from services.order.domain.order import Order
from shared.eventstore.store import RecordedEvent


def order_id_of(stream_id: str) -> str:
    return stream_id.removeprefix(f"{Order.stream_type}-")


class FoldedOrders:
    """A bounded, least-recently-used memory of folded orders by stream id."""

    def __init__(self, capacity: int = 2048) -> None:
        self._capacity = capacity
        self._orders: OrderedDict[str, Order] = OrderedDict()

    def advance(self, stream_id: str, events: Sequence[RecordedEvent]) -> Order | None:
        """The order right after `events` (one stream's, oldest first), or None when they do not
        continue a remembered fold (or start the stream) version by version."""
        order = Order(order_id_of(stream_id)) if events[0].version == 1 else self._orders.pop(stream_id, None)
        if order is None:
            return None
        for event in events:
            if event.version != order.version + 1:
                return None
            order.apply(ORDER_EVENTS.load(event.event_type, event.schema_version, event.data))
            order.version += 1
        self.remember(stream_id, order)
        return order

    def remember(self, stream_id: str, order: Order) -> None:
        self._orders[stream_id] = order
        self._orders.move_to_end(stream_id)
        if len(self._orders) > self._capacity:
            self._orders.popitem(last=False)
