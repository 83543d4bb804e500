"""The unit of work as application code sees it, whatever store is behind it.

Command and event handlers take a `UnitOfWork`: they load aggregates, change them, add new ones and
queue integration events; the unit commits all of it at once or nothing. Two adapters implement it:
PostgreSQL's (`unit_of_work.PostgresUnitOfWork`, the one services run on) and the in-memory one
(`in_memory.InMemoryUnitOfWork`, for tests of handlers without servers). Both pass the contract
suite in tests/contract.

`connection`, `reads` and `write` let a handler reach its service's own PostgreSQL tables (claims,
indexes, locks) beside the events; the in-memory unit has no such tables and refuses them
(`NeedsPostgres`). Handlers that use them are tested on PostgreSQL until those tables sit behind
typed adapters of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import IntegrationEvent
from shared.domain.aggregate import Aggregate
from shared.eventstore.database import DbConnection

A = TypeVar("A", bound=Aggregate)
B = TypeVar("B", bound=Aggregate)


class NeedsPostgres(NotImplementedError):
    """A handler reached for SQL tables in a unit of work that has none (the in-memory one)."""


class UnitOfWork(Protocol):
    memo: dict[str, Any]
    """Reads a handler shares with later steps of the same unit; gone with the unit."""

    async def load(self, cls: type[A], aggregate_id: str) -> A:
        """The aggregate as committed (a new, empty one if it has no events), tracked for commit."""
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
