"""What every unit of work does the same way whatever its store: it queues integration events
(stamped with the request's correlation, `outgoing.py`), runs callbacks after its commit, keeps a
memo of reads for its own later steps, builds the service's port adapters on itself, and (on a
database's first attempt at a command) starts from aggregates the caller already holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import IntegrationEvent
from shared.domain.aggregate import Aggregate
from shared.eventstore.outgoing import outgoing_envelope
from shared.eventstore.port import Adapters, Port, UnitOfWork

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


def start_from_known(uow: UnitOfWork, known: Sequence[Aggregate]) -> None:
    """Track aggregates the caller has just read or written, as committed, instead of reading them
    again (a database's first attempt at a command). Their appends still state the version they
    were read at, so a writer that got there first fails the commit, and the retry reads afresh."""
    for aggregate in known:
        if aggregate.peek_pending():  # its events would be committed by whichever unit runs next
            raise ValueError(
                f"{type(aggregate).__name__} {aggregate.id} has events not committed yet; "
                "only an aggregate as it was read or committed can be known"
            )
        uow.add(aggregate)
