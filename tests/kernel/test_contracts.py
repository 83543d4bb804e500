"""Envelope, registry and upcasting: pure, no servers."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import ValidationError

from shared.contracts.envelope import Envelope
from shared.contracts.registry import (
    EventRegistry,
    UnknownEventType,
    UnsupportedSchemaVersion,
    VersionedEvent,
)
from tests.kernel.apps.ledger_service import Account, AccountCredited


def make_registry() -> EventRegistry:
    registry = EventRegistry("test")

    @registry.register
    class ItemAdded(VersionedEvent):
        schema_version: ClassVar[int] = 3
        sku: str
        quantity: int
        unit_price: dict[str, int | str]

    @registry.upcaster("ItemAdded", from_version=1)
    def v1_to_v2(data: dict) -> dict:  # v1 had no quantity: it was always one
        return {**data, "quantity": 1}

    @registry.upcaster("ItemAdded", from_version=2)
    def v2_to_v3(data: dict) -> dict:  # v2 had a bare integer price
        price = data.pop("price")
        return {**data, "unit_price": {"amount": price, "currency": "USD"}}

    return registry


def test_old_payloads_are_upcast_through_the_whole_chain() -> None:
    registry = make_registry()
    event = registry.load("ItemAdded", 1, {"sku": "A", "price": 500})
    assert event.model_dump() == {"sku": "A", "quantity": 1, "unit_price": {"amount": 500, "currency": "USD"}}
    assert registry.load("ItemAdded", 3, event.model_dump()) == event


def test_a_payload_newer_than_the_code_or_of_unknown_type_is_refused() -> None:
    registry = make_registry()
    with pytest.raises(UnsupportedSchemaVersion):
        registry.load("ItemAdded", 4, {})
    with pytest.raises(UnknownEventType):
        registry.load("Nope", 1, {})


def test_registering_two_classes_under_one_name_is_an_error() -> None:
    registry = EventRegistry("dupes")

    @registry.register
    class Thing(VersionedEvent):
        pass

    with pytest.raises(ValueError, match="twice"):

        class Other(VersionedEvent):
            event_type: ClassVar[str] = "Thing"

        registry.register(Other)


def test_events_are_immutable_and_strict() -> None:
    event = AccountCredited(amount=5, credit_id="c")
    with pytest.raises(ValidationError):
        event.amount = 6  # type: ignore[misc]
    with pytest.raises(ValidationError):
        AccountCredited(amount=5, credit_id="c", extra=1)  # type: ignore[call-arg]


def test_envelope_round_trips_and_carries_routing_headers() -> None:
    envelope = Envelope(
        event_type="AccountCredited",
        schema_version=1,
        aggregate_type="account",
        aggregate_id="a1",
        aggregate_version=3,
        correlation_id="corr",
        producer="ledger",
        data={"amount": 5},
    )
    assert Envelope.from_json(envelope.to_json()) == envelope
    headers = dict(envelope.kafka_headers())
    assert headers["event_type"] == b"AccountCredited" and headers["schema_version"] == b"1"
    assert headers["correlation_id"] == b"corr"
    with pytest.raises(ValidationError):
        Envelope.from_json(b'{"event_type": "X"}')


def test_aggregates_fold_their_history_and_keep_new_events_pending() -> None:
    account = Account.rehydrate(
        "a", [AccountCredited(amount=2, credit_id="x"), AccountCredited(amount=3, credit_id="y")]
    )
    assert (account.balance, account.version) == (5, 2)
    account.credit(10, "z")
    assert account.balance == 15 and [e.amount for e in account.peek_pending()] == [10]  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        account.credit(0, "bad")
    assert len(account.take_pending()) == 1 and account.peek_pending() == []
