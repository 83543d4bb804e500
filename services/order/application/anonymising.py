"""`POST /v2/orders/anonymize`: the orders record `OrderAnonymised` in one unit (all or none: one
that may not be anonymised refuses the request), then their keys are destroyed (shared/privacy).

The key goes after the commit, so a failure in between leaves an order marked but still readable;
the same request again (idempotent) destroys it. The reverse order would leave an unreadable order
not marked anonymised, whose details a correction could still try to write.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.order.domain.order import Order
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork
from shared.privacy.personal_data import PersonalData, order_subject


async def mark_anonymised(uow: UnitOfWork, order_ids: Sequence[str]) -> list[Order]:
    """Raises OrderNotFound (404) or OrderCannotBeAnonymised (422); nothing is written then."""
    at = utc_now()
    orders = []
    for order_id in dict.fromkeys(order_ids):
        order = await uow.load(Order, order_id)
        order.anonymise(at)
        orders.append(order)
    return orders


async def destroy_keys(personal: PersonalData, order_ids: Sequence[str]) -> None:
    await personal.erase(order_subject(order_id) for order_id in order_ids)
