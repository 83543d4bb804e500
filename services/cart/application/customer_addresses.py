"""A customer's saved addresses: added, changed (a partial body merged into the saved one), removed.

Every field is recorded sealed under the customer's key (`customer_privacy`); a change is merged
and compared in clear."""

from __future__ import annotations

from typing import Any

from services.cart.application.customer_privacy import CustomerKeys, address_transformed
from services.cart.domain.customer import Customer, CustomerNotFound
from services.cart.domain.customer_address import AddressFields, SavedAddress
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork


async def registered_customer(uow: UnitOfWork, customer_id: str) -> Customer:
    customer = await uow.load(Customer, customer_id)
    if not customer.registered:
        raise CustomerNotFound(customer_id)
    return customer


async def add_address(
    uow: UnitOfWork, keys: CustomerKeys, customer_id: str, address_id: str, fields: AddressFields
) -> SavedAddress:
    customer = await registered_customer(uow, customer_id)
    customer.add_address(address_id, address_transformed(fields, keys.seal), utc_now())
    return customer.address(address_id)


async def update_address(
    uow: UnitOfWork, keys: CustomerKeys, customer_id: str, address_id: str, changes: dict[str, Any]
) -> SavedAddress:
    """`changes`: the members the body sent, validated; the others keep their saved values."""
    customer = await registered_customer(uow, customer_id)
    saved = address_transformed(customer.address(address_id).fields, keys.open)
    merged = AddressFields.model_validate({**saved.model_dump(), **changes})
    if merged != saved:
        customer.update_address(address_id, address_transformed(merged, keys.seal), utc_now())
    return customer.address(address_id)


async def remove_address(uow: UnitOfWork, customer_id: str, address_id: str) -> None:
    customer = await registered_customer(uow, customer_id)
    customer.remove_address(address_id, utc_now())
