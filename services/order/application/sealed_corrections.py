"""A shipping address correction of an order whose addresses are sealed (shared/privacy).

The fields an admin gives arrive in clear; only those that differ from the order's (opened) address
are sealed under the order's key, so the same correction again still changes nothing. An anonymised
order's address cannot be written again: its key is destroyed for good.
"""

from __future__ import annotations

from dataclasses import replace

from services.order.domain.corrections import DetailsCorrection
from services.order.domain.errors import OrderDetailsAreErased
from services.order.domain.order import Order
from shared.privacy.data_keys import SubjectErased
from shared.privacy.personal_data import PersonalData, order_subject
from shared.privacy.personal_values import address_strings


async def sealed_correction(
    personal: PersonalData | None, order: Order, correction: DetailsCorrection
) -> DetailsCorrection:
    given = correction.shipping_address
    if personal is None or not personal.enabled or not given or order.placed is None:
        return correction
    current = order.placed.shipping_address
    open_ = await personal.opener(address_strings(current))
    changed = {field: value for field, value in given.items() if open_(getattr(current, field)) != value}
    if not changed:
        return replace(correction, shipping_address={})
    if order.anonymised:
        raise OrderDetailsAreErased(order.id)
    try:
        seal = await personal.sealer(order_subject(order.id))
    except SubjectErased:
        raise OrderDetailsAreErased(order.id) from None
    return replace(correction, shipping_address={field: seal(value) for field, value in changed.items()})
