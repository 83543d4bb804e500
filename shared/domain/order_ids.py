"""What an order id looks like, for every service that is asked about orders by id.

Orders are only ever made by checkout, whose ids are canonical UUID strings (services/cart/domain/
order_ids.py). Reads and payments wait a little for an order not consumed yet (read your writes);
an id that no checkout can have made is answered 404 at once instead of being waited for and looked
up, however long or odd it is.
"""

from __future__ import annotations

from uuid import UUID


def could_be_an_order(order_id: str) -> bool:
    """True for a canonical (lower-case, hyphenated) UUID string, the only form checkout makes."""
    if len(order_id) != 36:
        return False
    try:
        return str(UUID(order_id)) == order_id
    except ValueError:
        return False
