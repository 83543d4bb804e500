"""Which fields of the shared values are personal, and sealing or opening them whole.

A customer's name and email, and every field of an address (free text such as `instructions`
included), are personal; a customer's id is not (ownership checks need it). `email_index` is the
keyed hash that lets an order be found by email.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from shared.contracts.values import Address, Customer

Transform = Callable[[str], str]

_ADDRESS_FIELDS = tuple(Address.model_fields)


def seal_customer(customer: Customer, seal: Transform, email_index: str | None) -> Customer:
    return customer.model_copy(
        update={"name": seal(customer.name), "email": seal(customer.email), "email_index": email_index}
    )


def open_customer(customer: Customer, open_: Transform) -> Customer:
    return customer.model_copy(update={"name": open_(customer.name), "email": open_(customer.email)})


def transform_address(address: Address, change: Transform) -> Address:
    """Seal or open every field of an address."""
    return address.model_copy(update={f: change(getattr(address, f)) for f in _ADDRESS_FIELDS})


def address_strings(address: Address) -> Iterator[str]:
    for f in _ADDRESS_FIELDS:
        yield getattr(address, f)


def personal_strings(customer: Customer, *addresses: Address) -> Iterator[str]:
    """Every personal string of these values (to know which keys opening them needs)."""
    yield customer.name
    yield customer.email
    for address in addresses:
        yield from address_strings(address)
