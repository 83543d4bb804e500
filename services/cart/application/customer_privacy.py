"""A registered customer's personal data sealed under `customer:<id>` (shared/privacy, issue 19).

The name, the email and every field of each saved address are sealed before they are recorded, so
the customer's events, and every copy made of them (the customers read model), hold ciphertext;
`customer_emails` holds the email's keyed index instead of the email, so sign-in and the duplicate
check still find it. Deleting the customer destroys the key: their events stay, and open as `*`.

With privacy off (no PII_MASTER_KEY) sealing and opening are the identity and the email is its own
claim, as before; a value recorded in clear (before privacy was on) opens to itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import chain

from services.cart.domain.customer import Customer, CustomerNotFound
from services.cart.domain.customer_address import AddressFields
from shared.privacy.data_keys import SubjectErased
from shared.privacy.personal_data import Opener, PersonalData, Sealer, customer_subject

Transform = Callable[[str], str]

_ADDRESS_FIELDS = tuple(AddressFields.model_fields)


def email_claim(personal: PersonalData, email: str) -> str:
    """What `customer_emails` holds for an email: its keyed index, or (privacy off) the email in
    lower case."""
    return personal.email_index(email) or email.lower()


@dataclass(frozen=True)
class CustomerKeys:
    """What a request that writes one customer needs: seal for them, open what they hold, and the
    claim of an email."""

    seal: Sealer
    open: Opener
    claim: Transform


async def customer_keys(personal: PersonalData, customer_id: str) -> CustomerKeys:
    """One read of the key table (the key is made on first use); CustomerNotFound once the
    customer was deleted and their key destroyed."""
    try:
        seal = await personal.sealer(customer_subject(customer_id))
    except SubjectErased:
        raise CustomerNotFound(customer_id) from None
    keys = {} if seal.key is None else {seal.subject: seal.key}
    return CustomerKeys(seal=seal, open=Opener(keys), claim=partial(email_claim, personal))


def address_transformed(fields: AddressFields, change: Transform) -> AddressFields:
    """Every field of a saved address sealed or opened."""
    return fields.model_copy(update={f: change(getattr(fields, f)) for f in _ADDRESS_FIELDS})


def customer_strings(customer: Customer) -> Iterator[str]:
    """Every personal string a customer holds (to know which keys opening them needs)."""
    yield customer.name
    yield customer.email
    for saved in customer.addresses.values():
        yield from (getattr(saved.fields, f) for f in _ADDRESS_FIELDS)


async def customers_opener(personal: PersonalData, customers: Iterable[Customer]) -> Opener:
    """One read of the keys these customers' values need (none with privacy off)."""
    return await personal.opener(chain.from_iterable(customer_strings(c) for c in customers))


async def erase_customer(personal: PersonalData, customer_id: str) -> None:
    """Destroy the customer's key: every value sealed for them opens as `*` from now on."""
    await personal.erase([customer_subject(customer_id)])
