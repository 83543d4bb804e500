"""An admin's `PUT /v2/orders/:id`: corrections of the order's details, and with them (or alone) a
cancel or a `fulfilled` flag, decided on the one order in one transaction and announced once."""

from __future__ import annotations

from dataclasses import dataclass

from services.order.application.announcing import announce
from services.order.application.sealed_corrections import sealed_correction
from services.order.domain.corrections import DetailsCorrection
from services.order.domain.order import Order
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork
from shared.privacy.personal_data import PersonalData


@dataclass(frozen=True)
class UpdateOrder:
    order_id: str
    correction: DetailsCorrection
    cancel: bool = False
    fulfil: bool = False
    reason: str = ""


async def update_order(uow: UnitOfWork, command: UpdateOrder, personal: PersonalData | None = None) -> Order:
    """Correct first, then cancel or flag `fulfilled`, so a fulfilment asked for in the same request
    ships to the corrected address. Raises OrderNotFound (404), ShippingAddressIsFinal,
    FulfilledOrderCannotBeCancelled or OrderCannotBeFulfilled (422); nothing is written then."""
    order = await uow.load(Order, command.order_id)
    at = utc_now()
    order.correct_details(await sealed_correction(personal, order, command.correction), at)
    if command.cancel:
        order.cancel(command.reason, at)
    if command.fulfil:
        order.request_fulfilment(at)
    announce(uow, order)
    return order
