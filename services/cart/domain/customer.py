"""Customers who register (name, email, password) and check out with `customer.id`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import ClassVar

from services.cart.domain.events import CART_EVENTS, CustomerRegistered, CustomerUpdated
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.domain.errors import DomainError, NotFound

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_password(password: str) -> str:
    """scrypt with a random salt, stored as `scrypt$<salt hex>$<hash hex>`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt_hex, digest_hex = stored.split("$")
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


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
        self, name: str, email: str, password: str | None, external_ref: str | None, now: datetime
    ) -> None:
        if self.registered:
            raise DomainError("Customer already exists", status=409, title="Conflict")
        self._record(
            CustomerRegistered(
                name=name,
                email=email.lower(),
                password_hash=hash_password(password) if password else None,
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
