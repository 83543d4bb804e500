"""The unit of work as application code sees it, whatever store is behind it.

Command and event handlers take a `UnitOfWork`: they load aggregates, change them, add new ones and
queue integration events; the unit commits all of it at once or nothing. Two adapters implement it:
PostgreSQL's (`unit_of_work.PostgresUnitOfWork`, the one services run on) and the in-memory one
(`in_memory.InMemoryUnitOfWork`, for tests of handlers without servers). Both pass the contract
suite in tests/contract.

A service's own tables beside its events (claims, indexes, read-side lookups) are reached through
ports of its own: a `Port` names a Protocol, the service's bootstrap provides an adapter for it on
the database (`database.adapters.provide(port, factory)`: PostgreSQL's, or an in-memory one in the
fast tier), and a handler asks its unit for it (`uow.adapter(port)`), built once per unit on that
unit (so a PostgreSQL adapter writes in the unit's transaction).

`connection`, `reads` and `write` reach those tables directly, for the PostgreSQL adapters (and for
handlers not moved behind a port yet); the in-memory unit has no SQL and refuses them
(`NeedsPostgres`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.registry import VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.eventstore.commit_signals import CommitSignals
from shared.eventstore.database import DbConnection

A = TypeVar("A", bound=Aggregate)
B = TypeVar("B", bound=Aggregate)
T = TypeVar("T")


class NeedsPostgres(NotImplementedError):
    """A handler reached for SQL tables in a unit of work that has none (the in-memory one)."""


@dataclass(frozen=True, eq=False)
class Port(Generic[T]):
    """The name of an adapter a handler needs (`T`, a Protocol of the service's application layer)."""

    name: str


class Adapters:
    """The adapters a database provides its units of work, one factory per port."""

    def __init__(self) -> None:
        self._factories: dict[Port[Any], Callable[[Any], Any]] = {}

    def provide(self, port: Port[T], factory: Callable[[Any], T]) -> None:
        """`factory(uow)` builds the adapter for one unit of work."""
        self._factories[port] = factory

    def build(self, port: Port[T], uow: Any) -> T:
        factory = self._factories.get(port)
        if factory is None:
            raise LookupError(f"no adapter provided for {port.name!r} on this database")
        adapter: T = factory(uow)
        return adapter


class UnitOfWork(Protocol):
    memo: dict[str, Any]
    """Reads a handler shares with later steps of the same unit; gone with the unit."""

    async def load(self, cls: type[A], aggregate_id: str) -> A:
        """The aggregate as committed (a new, empty one if it has no events), tracked for commit."""
        ...

    async def load_new(self, cls: type[A], aggregate_id: str) -> A:
        """`load` for the message that normally creates the stream (a checkout opening an order):
        the store may skip the read and presume the stream empty, for the commit refutes a wrong
        presumption (the unit then runs again from a fresh read)."""
        ...

    async def load_pair(self, first: type[A], first_id: str, second: type[B], second_id: str) -> tuple[A, B]:
        """`load` of two aggregates (in one read where the store allows)."""
        ...

    def add(self, aggregate: Aggregate) -> None:
        """Track an aggregate the handler created or already held."""
        ...

    def publish(
        self,
        event: IntegrationEvent,
        *,
        key: str,
        aggregate_id: str,
        aggregate_version: int = 0,
        aggregate_type: str | None = None,
    ) -> Envelope:
        """Queue an integration event for the bus, sent only if the unit commits."""
        ...

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the unit has committed (not if it fails)."""
        ...

    def adapter(self, port: Port[T]) -> T:
        """The database's adapter for `port`, built on this unit (once per unit)."""
        ...

    @property
    def connection(self) -> DbConnection:
        """PostgreSQL only: the transaction's connection, for the service's own tables."""
        ...

    @property
    def reads(self) -> DbConnection:
        """PostgreSQL only: a connection for read-only statements."""
        ...

    async def write(self, statement: str, *args: Any) -> None:
        """PostgreSQL only: a row of the service's own tables, written with the unit."""
        ...


class EventDatabase(Protocol):
    """A service's database as its use cases and readers see it, outside a unit of work: run units,
    read aggregates as committed, read one stream's history a page at a time, and hear what this
    process committed. PostgreSQL's `Database` and the fast tier's `InMemoryDatabase` implement it."""

    signals: CommitSignals
    adapters: Adapters

    def adapter(self, port: Port[T]) -> T:
        """The service's adapter for `port` built on the database itself, for reads outside a unit
        of work (listings, read models): the factory is given the database, not a unit."""
        ...

    async def run(
        self,
        command: Callable[[UnitOfWork], Awaitable[T]],
        *,
        known: Sequence[Aggregate] = (),
        attempts: int = 40,
    ) -> T:
        """`command` in a unit of work, run again from a fresh read after a conflict.

        `known`: aggregates the caller has just read or written, as committed (no pending events):
        the first attempt works on them instead of reading them again (`unit_basics.start_from_known`).
        """
        ...

    async def read(self, cls: type[A], aggregate_id: str) -> A:
        """The aggregate as committed (for a read-only request)."""
        ...

    async def read_newer(self, cls: type[A], aggregate_id: str, than_version: int) -> A:
        """The aggregate past `than_version` if this process holds it so, else as committed."""
        ...

    async def read_pair(self, first: type[A], first_id: str, second: type[B], second_id: str) -> tuple[A, B]:
        """Two aggregates as committed, in one read where the store allows."""
        ...

    async def history_page(
        self, cls: type[Aggregate], aggregate_id: str, event_types: Sequence[str], limit: int, offset: int
    ) -> tuple[list[VersionedEvent], int]:
        """A page of one aggregate's events of `event_types`, oldest first, and how many there are."""
        ...

    async def find_events(
        self, cls: type[Aggregate], aggregate_id: str, event_type: str, field: str, value: str
    ) -> list[VersionedEvent]:
        """One aggregate's events of `event_type` whose `field` is `value`."""
        ...
