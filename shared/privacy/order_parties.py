"""An order's personal data, sealed under the order's subject or opened for a reader.

The parties of an order are its customer and its billing and shipping addresses; the checkout
seals them once (the cart), and every copy after that (events, messages, snapshots, read models)
carries them sealed. Only a reader that shows them (the order's documents) opens them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel

from shared.contracts.values import Address, Customer
from shared.privacy.personal_data import Opener, PersonalData, order_subject
from shared.privacy.personal_values import open_customer, personal_strings, seal_customer, transform_address

P = TypeVar("P", bound=BaseModel)


async def seal_parties(
    personal: PersonalData, order_id: str, customer: Customer, billing: Address, shipping: Address
) -> tuple[Customer, Address, Address]:
    """The customer and addresses sealed for `order:<order_id>` (unchanged when privacy is off)."""
    if not personal.enabled:
        return customer, billing, shipping
    seal = await personal.sealer(order_subject(order_id))
    return (
        seal_customer(customer, seal, personal.email_index(customer.email)),
        transform_address(billing, seal),
        transform_address(shipping, seal),
    )


async def seal_address(personal: PersonalData, order_id: str, address: Address) -> Address:
    if not personal.enabled:
        return address
    return transform_address(address, await personal.sealer(order_subject(order_id)))


async def opener_for(personal: PersonalData, orders: Sequence[BaseModel]) -> Opener:
    """One read of the keys the parties of `orders` need (each with customer and both addresses)."""
    values: list[str] = []
    for order in orders:
        values.extend(
            personal_strings(
                order.customer,  # type: ignore[attr-defined]
                order.billing_address,  # type: ignore[attr-defined]
                order.shipping_address,  # type: ignore[attr-defined]
            )
        )
    return await personal.opener(values)


def opened(order: P, open_: Opener) -> P:
    """`order` (anything with customer, billing and shipping addresses) with its parties opened."""
    return order.model_copy(
        update={
            "customer": open_customer(order.customer, open_),  # type: ignore[attr-defined]
            "billing_address": transform_address(order.billing_address, open_),  # type: ignore[attr-defined]
            "shipping_address": transform_address(order.shipping_address, open_),  # type: ignore[attr-defined]
        }
    )
