"""A customer's saved addresses: added, changed (a partial body merged into the saved one), removed."""

from __future__ import annotations

from typing import Any

from services.cart.domain.customer import Customer, CustomerNotFound
from services.cart.domain.customer_address import AddressFields, SavedAddress
from shared.contracts.envelope import utc_now
from shared.eventstore.unit_of_work import UnitOfWork


async def registered_customer(uow: UnitOfWork, customer_id: str) -> Customer:
    customer = await uow.load(Customer, customer_id)
    if not customer.registered:
        raise CustomerNotFound(customer_id)
    return customer


async def add_address(
    uow: UnitOfWork, customer_id: str, address_id: str, fields: AddressFields
) -> SavedAddress:
    customer = await registered_customer(uow, customer_id)
    customer.add_address(address_id, fields, utc_now())
    return customer.address(address_id)


async def update_address(
    uow: UnitOfWork, customer_id: str, address_id: str, changes: dict[str, Any]
) -> SavedAddress:
    """`changes`: the members the body sent, validated; the others keep their saved values."""
    customer = await registered_customer(uow, customer_id)
    saved = customer.address(address_id)
    merged = AddressFields.model_validate({**saved.fields.model_dump(), **changes})
    if merged != saved.fields:
        customer.update_address(address_id, merged, utc_now())
    return customer.address(address_id)


async def remove_address(uow: UnitOfWork, customer_id: str, address_id: str) -> None:
    customer = await registered_customer(uow, customer_id)
    customer.remove_address(address_id, utc_now())
