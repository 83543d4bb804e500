"""Customers who register (name, email, password) and check out with `customer.id`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from services.cart.domain.events import CART_EVENTS, CustomerRegistered, CustomerUpdated
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.domain.errors import DomainError, NotFound


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: str) -> None:
        super().__init__("The requested customer could not be found", customer_id)


class Customer(Aggregate):
    stream_type = "customer"
    registry: ClassVar[EventRegistry] = CART_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.name = ""
        self.email = ""
        self.password_hash: str | None = None
        self.external_ref: str | None = None
        self.created_at: datetime | None = None
        self.updated_at: datetime | None = None

    @property
    def registered(self) -> bool:
        return self.created_at is not None

    def register(
        self, name: str, email: str, password_hash: str | None, external_ref: str | None, now: datetime
    ) -> None:
        """`password_hash` from `services.cart.domain.passwords.hash_password`, computed by the caller
        off the event loop (None: a customer who signs in some other way)."""
        if self.registered:
            raise DomainError("Customer already exists", status=409, title="Conflict")
        self._record(
            CustomerRegistered(
                name=name,
                email=email.lower(),
                password_hash=password_hash,
                external_ref=external_ref,
                at=now,
            )
        )

    def update(self, name: str, email: str, external_ref: str | None, now: datetime) -> None:
        if not self.registered:
            raise CustomerNotFound(self.id)
        self._record(CustomerUpdated(name=name, email=email.lower(), external_ref=external_ref, at=now))

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case CustomerRegistered():
                self.name, self.email = event.name, event.email
                self.password_hash, self.external_ref = event.password_hash, event.external_ref
                self.created_at = self.updated_at = event.at
            case CustomerUpdated():
                self.name, self.email, self.external_ref = event.name, event.email, event.external_ref
                self.updated_at = event.at
