"""What every unit of work does the same way whatever its store: it queues integration events
(stamped with the request's correlation, `outgoing.py`), runs callbacks after its commit, keeps a
memo of reads for its own later steps, and builds the service's port adapters on itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import IntegrationEvent
from shared.eventstore.outgoing import outgoing_envelope
from shared.eventstore.port import Adapters, Port

T = TypeVar("T")


class UnitBasics:
    def __init__(self, producer: str, adapters: Adapters | None) -> None:
        self._producer = producer
        self._adapters = adapters or Adapters()
        self._built: dict[Port[Any], Any] = {}
        self._outgoing: list[tuple[str, Envelope]] = []
        self._after_commit: list[Callable[[], None]] = []
        self.memo: dict[str, Any] = {}
        """Reads a handler shares with later steps of the same unit (its presenter, say), so one
        statement serves both; gone with the unit, so an attempt run again reads afresh."""

    def publish(
        self,
        event: IntegrationEvent,
        *,
        key: str,
        aggregate_id: str,
        aggregate_version: int = 0,
        aggregate_type: str | None = None,
    ) -> Envelope:
        """Queue an integration event for Kafka, keyed by `key` (the order id in an order's life)."""
        envelope = outgoing_envelope(
            event,
            producer=self._producer,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            aggregate_type=aggregate_type,
        )
        self._outgoing.append((key, envelope))
        return envelope

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the unit has committed (not if it fails)."""
        self._after_commit.append(callback)

    def adapter(self, port: Port[T]) -> T:
        """The database's adapter for `port`, built on this unit (once per unit)."""
        if port not in self._built:
            self._built[port] = self._adapters.build(port, self)
        adapter: T = self._built[port]
        return adapter

    def _run_after_commit(self) -> None:
        for callback in self._after_commit:
            callback()
