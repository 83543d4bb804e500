"""Customers: registration with a unique email, password sign-in for customer tokens, profile and
password changes, and deletion (announced as the `CustomerDeleted` integration event). Names and
emails are recorded sealed under the customer's key (`customer_privacy`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.cart.application.customer_privacy import CustomerKeys
from services.cart.application.ports import EMAIL_CLAIMS, UnitsOfWork
from services.cart.domain.customer import Customer, CustomerNotFound
from shared.contracts.envelope import utc_now
from shared.contracts.events import CustomerDeleted
from shared.domain.errors import DomainError
from shared.eventstore.port import UnitOfWork

PasswordCheck = Callable[[str, str | None], Awaitable[bool]]
"""`(password, stored hash or None) -> matches`, run off the event loop; None costs the same work."""

NOBODY = "00000000-0000-0000-0000-000000000000"
"""The customer stream read for an unknown email, so that it costs the reads a known one does."""


async def register_customer(
    uow: UnitOfWork,
    keys: CustomerKeys,
    customer_id: str,
    name: str,
    email: str,
    password_hash: str | None,
    external_ref: str | None,
) -> Customer:
    """`password_hash` is hashed by the caller, off the event loop and before the unit of work.
    The name and email are recorded sealed (`keys`), the email claimed (`ports.EmailClaims`)."""
    customer = await uow.load(Customer, customer_id)
    customer.register(keys.seal(name), keys.seal(email.lower()), password_hash, external_ref, utc_now())
    await uow.adapter(EMAIL_CLAIMS).claim(customer_id, keys.claim(email))
    return customer


async def update_customer(
    uow: UnitOfWork,
    keys: CustomerKeys,
    customer_id: str,
    changes: dict[str, str | None],
    password_hash: str | None,
) -> Customer:
    """Apply `changes` (any of name, email, external_ref: the members the body sent) and, with a
    `password_hash` (hashed by the caller off the event loop), the new password.

    Compared in clear (`keys` opens what is recorded), a changed name or email recorded sealed. A
    new email's claim takes the old one's place with the unit (`ports.EmailClaims`), so two
    customers can never end up with one email, and the old one is free to register again.
    """
    customer = await uow.load(Customer, customer_id)
    if not customer.registered:
        raise CustomerNotFound(customer_id)
    was_name, was_email = keys.open(customer.name), keys.open(customer.email)
    name = changes.get("name") or was_name
    email = (changes.get("email") or was_email).lower()
    external_ref = changes["external_ref"] if "external_ref" in changes else customer.external_ref
    if (name, email, external_ref) != (was_name, was_email, customer.external_ref):
        if email != was_email:
            await uow.adapter(EMAIL_CLAIMS).reclaim(customer_id, keys.claim(email))
        customer.update(
            customer.name if name == was_name else keys.seal(name),
            customer.email if email == was_email else keys.seal(email),
            external_ref,
            utc_now(),
        )
    if password_hash is not None:
        customer.change_password(password_hash, utc_now())
    return customer


async def delete_customer(uow: UnitOfWork, customer_id: str) -> None:
    """Delete the customer, free their email, and announce it: every service that accepts customer
    tokens refuses theirs once it reads `CustomerDeleted` (this one at once, `shared.auth.revocations`).
    The caller destroys their key after the commit (`customer_privacy.erase_customer`)."""
    customer = await uow.load(Customer, customer_id)
    customer.delete(utc_now())
    await uow.adapter(EMAIL_CLAIMS).release(customer_id)
    uow.publish(
        CustomerDeleted(customer_id=customer_id),
        key=customer_id,
        aggregate_id=customer_id,
        aggregate_version=customer.current_version,
    )


async def was_deleted(database: UnitsOfWork, customer_id: str) -> bool:
    """True for a customer who registered and was deleted (not one who never was)."""
    async with database.unit_of_work() as uow:
        customer = await uow.load(Customer, customer_id)
    return customer.deleted_at is not None


async def authenticate(
    database: UnitsOfWork, email_claim: str, password: str, check: PasswordCheck
) -> Customer:
    """The customer whose email has this claim (`customer_privacy.email_claim`) and password, or a
    401 that does not say which was wrong.

    An unknown email costs what a known one does (the same reads, a check against a hash nobody has),
    so the answer's timing does not tell which emails are registered either. The password is checked
    after the unit of work, so a queue of checks never holds database connections.
    """
    async with database.unit_of_work() as uow:
        customer_id = await uow.adapter(EMAIL_CLAIMS).customer_of(email_claim)
        customer = await uow.load(Customer, customer_id or NOBODY)
    if await check(password, customer.password_hash) and customer.registered:
        return customer
    raise DomainError("Invalid email or password", status=401, title="Unauthorized")
