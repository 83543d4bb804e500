"""What an order id can look like, for every service that is asked about orders by id.

Checkout makes canonical UUID strings (services/cart/domain/order_ids.py); events from other
systems and tests name orders with short plain ids too. Reads and payments wait a little for an
order not consumed yet (read your writes); an id no producer can have made (too long, or with
characters outside letters, digits, `-` and `_`) is answered 404 at once instead of being waited
for and looked up.
"""

from __future__ import annotations

import re

MAX_LENGTH = 64
_PLAIN_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_LENGTH}}}")


def could_be_an_order(order_id: str) -> bool:
    """True for an id of at most 64 letters, digits, `-` and `_` (every UUID string is one)."""
    return _PLAIN_ID.fullmatch(order_id) is not None
