"""What happens to a customer after registering: password changes, deletion, saved addresses.

Registered in the cart service's registry beside `CustomerRegistered` and `CustomerUpdated`
(`events.py`), on the customer's own stream, so a customer's history is one stream to replay.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from services.cart.domain.customer_address import AddressFields
from services.cart.domain.events import CART_EVENTS
from shared.contracts.registry import VersionedEvent


@CART_EVENTS.register
class CustomerPasswordChanged(VersionedEvent):
    """The new password's hash (never the password): old customer tokens stay valid until they expire."""

    password_hash: str
    at: datetime


@CART_EVENTS.register
class CustomerWasDeleted(VersionedEvent):
    """The customer is gone: no reads, no sign-in, and every token of theirs refused from now on."""

    event_type: ClassVar[str] = "CustomerDeleted"  # the stored name: events already written carry it

    at: datetime


@CART_EVENTS.register
class CustomerAddressAdded(VersionedEvent):
    address_id: str
    address: AddressFields
    at: datetime


@CART_EVENTS.register
class CustomerAddressUpdated(VersionedEvent):
    """The whole address after the change (a partial update is merged before it is recorded)."""

    address_id: str
    address: AddressFields
    at: datetime


@CART_EVENTS.register
class CustomerAddressRemoved(VersionedEvent):
    address_id: str
    at: datetime
