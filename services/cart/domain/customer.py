"""Customers who register (name, email, password), change their profile and password, keep
addresses, check out with `customer.id`, and may be deleted (by an admin)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from services.cart.domain.customer_address import AddressFields, AddressNotFound, SavedAddress
from services.cart.domain.customer_events import (
    CustomerAddressAdded,
    CustomerAddressRemoved,
    CustomerAddressUpdated,
    CustomerPasswordChanged,
    CustomerWasDeleted,
)
from services.cart.domain.events import CART_EVENTS, CustomerRegistered, CustomerUpdated
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.domain.errors import DomainError, NotFound

MAX_ADDRESSES = 100
"""Per customer: enough for any shopper, and a bound on the stream every read of them replays."""


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
        self.deleted_at: datetime | None = None
        self.addresses: dict[str, SavedAddress] = {}

    @property
    def registered(self) -> bool:
        """Registered and not deleted: the customer every read, sign-in and checkout may use."""
        return self.created_at is not None and self.deleted_at is None

    def _require_registered(self) -> None:
        if not self.registered:
            raise CustomerNotFound(self.id)

    def register(
        self, name: str, email: str, password_hash: str | None, external_ref: str | None, now: datetime
    ) -> None:
        """`password_hash` from `services.cart.domain.passwords.hash_password`, computed by the caller
        off the event loop (None: a customer who signs in some other way). `name` and `email` are
        recorded as given: the email in lower case, both sealed when personal data is (the caller's
        work, `services.cart.application.customer_privacy`)."""
        if self.created_at is not None:
            raise DomainError("Customer already exists", status=409, title="Conflict")
        self._record(
            CustomerRegistered(
                name=name,
                email=email,
                password_hash=password_hash,
                external_ref=external_ref,
                at=now,
            )
        )

    def update(self, name: str, email: str, external_ref: str | None, now: datetime) -> None:
        """As `register`: the values as given (lower case, perhaps sealed)."""
        self._require_registered()
        self._record(CustomerUpdated(name=name, email=email, external_ref=external_ref, at=now))

    def change_password(self, password_hash: str, now: datetime) -> None:
        self._require_registered()
        self._record(CustomerPasswordChanged(password_hash=password_hash, at=now))

    def delete(self, now: datetime) -> None:
        self._require_registered()
        self._record(CustomerWasDeleted(at=now))

    def address(self, address_id: str) -> SavedAddress:
        self._require_registered()
        saved = self.addresses.get(address_id)
        if saved is None:
            raise AddressNotFound(address_id)
        return saved

    def add_address(self, address_id: str, fields: AddressFields, now: datetime) -> None:
        self._require_registered()
        if len(self.addresses) >= MAX_ADDRESSES:
            raise DomainError(
                f"A customer may keep at most {MAX_ADDRESSES} addresses",
                status=422,
                title="Too many addresses",
            )
        self._record(CustomerAddressAdded(address_id=address_id, address=fields, at=now))

    def update_address(self, address_id: str, fields: AddressFields, now: datetime) -> None:
        self.address(address_id)
        self._record(CustomerAddressUpdated(address_id=address_id, address=fields, at=now))

    def remove_address(self, address_id: str, now: datetime) -> None:
        self.address(address_id)
        self._record(CustomerAddressRemoved(address_id=address_id, at=now))

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case CustomerRegistered():
                self.name, self.email = event.name, event.email
                self.password_hash, self.external_ref = event.password_hash, event.external_ref
                self.created_at = self.updated_at = event.at
            case CustomerUpdated():
                self.name, self.email, self.external_ref = event.name, event.email, event.external_ref
                self.updated_at = event.at
            case CustomerPasswordChanged():
                self.password_hash, self.updated_at = event.password_hash, event.at
            case CustomerWasDeleted():
                self.deleted_at = event.at
                self.addresses = {}
            case CustomerAddressAdded():
                self.addresses[event.address_id] = SavedAddress(
                    id=event.address_id, fields=event.address, created_at=event.at, updated_at=event.at
                )
            case CustomerAddressUpdated():
                created = self.addresses[event.address_id].created_at
                self.addresses[event.address_id] = SavedAddress(
                    id=event.address_id, fields=event.address, created_at=created, updated_at=event.at
                )
            case CustomerAddressRemoved():
                del self.addresses[event.address_id]
