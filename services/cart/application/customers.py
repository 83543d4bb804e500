"""Customers: registration with a unique email, and password sign-in for customer tokens."""

from __future__ import annotations

import asyncpg

from services.cart.domain.customer import Customer, verify_password
from shared.contracts.envelope import utc_now
from shared.domain.errors import DomainError
from shared.eventstore.unit_of_work import UnitOfWork


async def register_customer(
    uow: UnitOfWork, customer_id: str, name: str, email: str, password: str | None, external_ref: str | None
) -> Customer:
    customer = await uow.load(Customer, customer_id)
    customer.register(name, email, password, external_ref, utc_now())
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


async def authenticate(uow: UnitOfWork, email: str, password: str) -> Customer:
    """The customer with this email and password, or a 401 that does not say which was wrong."""
    customer_id = await uow.reads.fetchval(
        "SELECT customer_id FROM customer_emails WHERE email = $1", email.lower()
    )
    if customer_id is not None:
        customer = await uow.load(Customer, customer_id)
        if verify_password(password, customer.password_hash):
            return customer
    raise DomainError("Invalid email or password", status=401, title="Unauthorized")
