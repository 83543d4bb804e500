"""Customers: registration with a unique email, and password sign-in for customer tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from services.cart.domain.customer import Customer
from shared.contracts.envelope import utc_now
from shared.domain.errors import DomainError
from shared.eventstore.unit_of_work import Database, UnitOfWork

PasswordCheck = Callable[[str, str | None], Awaitable[bool]]
"""`(password, stored hash or None) -> matches`, run off the event loop; None costs the same work."""

NOBODY = "00000000-0000-0000-0000-000000000000"
"""The customer stream read for an unknown email, so that it costs the reads a known one does."""


async def register_customer(
    uow: UnitOfWork,
    customer_id: str,
    name: str,
    email: str,
    password_hash: str | None,
    external_ref: str | None,
) -> Customer:
    """`password_hash` is hashed by the caller, off the event loop and before the unit of work."""
    customer = await uow.load(Customer, customer_id)
    customer.register(name, email, password_hash, external_ref, utc_now())
    try:
        async with uow.connection.transaction():
            await uow.connection.execute(
                "INSERT INTO customer_emails (email, customer_id) VALUES ($1, $2)", email.lower(), customer_id
            )
    except asyncpg.UniqueViolationError:
        raise DomainError(
            "A customer with this email already exists",
            status=409,
            title="Duplicate email",
            source="data.email",
        ) from None
    return customer


async def authenticate(database: Database, email: str, password: str, check: PasswordCheck) -> Customer:
    """The customer with this email and password, or a 401 that does not say which was wrong.

    An unknown email costs what a known one does (the same reads, a check against a hash nobody has),
    so the answer's timing does not tell which emails are registered either. The password is checked
    after the unit of work, so a queue of checks never holds database connections.
    """
    async with database.unit_of_work() as uow:
        customer_id = await uow.reads.fetchval(
            "SELECT customer_id FROM customer_emails WHERE email = $1", email.lower()
        )
        customer = await uow.load(Customer, customer_id or NOBODY)
    if await check(password, customer.password_hash) and customer.registered:
        return customer
    raise DomainError("Invalid email or password", status=401, title="Unauthorized")
