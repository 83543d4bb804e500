"""Order views as a reader sees them: the sealed customer and addresses opened through the order's
key, or `*` and `anonymized: true` once the key is destroyed (one read of the keys per answer)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request

from services.order.domain.view import OrderView
from shared.privacy.lifespan import personal_data_of
from shared.privacy.order_parties import opened, opener_for


async def readable(request: Request, views: Sequence[OrderView]) -> list[OrderView]:
    personal = personal_data_of(request)
    if not personal.enabled or not views:
        return list(views)
    open_ = await opener_for(personal, [view.snapshot for view in views])
    return [
        OrderView(opened(view.snapshot, open_), view.state, open_.erased(view.snapshot.customer.email))
        for view in views
    ]


async def readable_one(request: Request, view: OrderView) -> OrderView:
    return (await readable(request, [view]))[0]
