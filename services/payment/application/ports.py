"""What the payment application runs against, as protocols its adapters implement.

- `Gateway`: the one protocol every payment gateway adapter implements, and the two ways a call
  can fail. A gateway answers in `GatewayState`s; it never writes anything itself. Calls that move
  money take an idempotency key derived from the transaction, and `find` / `retrieve` /
  `find_refund` let the application learn what a call cut short by a crash actually did, instead of
  repeating it.
- `TransactionLocks` and `Units`: one conversation with the gateway per transaction at a time,
  across every instance, and the units of work run while holding it (PostgreSQL: session advisory
  locks, `adapters/postgres/locking.py`; in memory: one asyncio lock per transaction).
- `TransactionReads`: several transactions at once (one transaction's events: `EventDatabase`).
- `TRANSACTION_INDEX` and `WEBHOOK_INBOX`: the service's own tables, per unit of work
  (`uow.adapter(port)`), written atomically with the unit's events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from services.payment.domain.gateway_state import GatewayRefund, GatewayState
from services.payment.domain.transaction import Transaction
from shared.domain.aggregate import Aggregate
from shared.eventstore.port import Port, UnitOfWork

T = TypeVar("T")


@dataclass(frozen=True)
class ChargeRequest:
    """What the gateway needs to take a payment; the amount and currency come from the order."""

    transaction_id: str
    order_id: str
    method: str  # authorize | purchase
    amount: int
    currency: str
    payment: str | None


class GatewayRefused(Exception):
    """The gateway said no, definitively (a decline, an invalid request): nothing happened."""

    def __init__(self, message: str, *, code: str, error: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.error: dict[str, Any] = error or {"code": code, "message": message}


class GatewayUnreachable(Exception):
    """No answer (network, timeout, 5xx): the call may or may not have happened."""


@dataclass(frozen=True)
class GatewayEvent:
    """A verified notification from the gateway about one payment."""

    event_id: str
    state: GatewayState
    transaction_id: str | None = None  # from the payment's metadata, when the gateway carries it


class Gateway(Protocol):
    """`records_calls`: whether calls leave the process (and so must be bracketed for crash safety)."""

    name: str
    records_calls: bool

    def use_login(self, login: str) -> None:
        """Use this secret key from now on (`/v2/gateways` configures it; empty: none)."""
        ...

    async def prepare(self, request: ChargeRequest, idempotency_key: str) -> GatewayState:
        """Create the payment at the gateway without moving money (stage `created`)."""
        ...

    async def find(self, request: ChargeRequest) -> GatewayState | None:
        """The payment `prepare` made for this transaction, if it made one."""
        ...

    async def confirm(self, reference: str, request: ChargeRequest, idempotency_key: str) -> GatewayState:
        """Authorise, or authorise and capture (`purchase`)."""
        ...

    async def retrieve(self, reference: str) -> GatewayState: ...

    async def capture(self, reference: str, amount: int, idempotency_key: str) -> GatewayState: ...

    async def cancel(self, reference: str, idempotency_key: str) -> GatewayState: ...

    async def refund(
        self, reference: str, amount: int, idempotency_key: str, transaction_id: str
    ) -> GatewayRefund: ...

    async def find_refund(self, reference: str, idempotency_key: str) -> GatewayRefund | None:
        """The refund made with this idempotency key, if it was made."""
        ...


class Units(Protocol):
    """Units of work run one after another for one operation (holding a transaction's lock, or not)."""

    async def run(
        self, command: Callable[[UnitOfWork], Awaitable[T]], *, known: tuple[Aggregate, ...] = ()
    ) -> T:
        """`command` in a unit of work, re-run from a fresh read on a conflict (a webhook or the
        consumer may write the same transaction concurrently).

        `known`: aggregates this request has just read or written, as committed (no pending events).
        The first attempt works on them instead of reading them again; their appends still state the
        version they were read at, so if another writer got there first the append conflicts and the
        next attempt reads them afresh.
        """
        ...


class TransactionLocks(Protocol):
    """One holder of a transaction at a time, for a whole operation (waiting for stock, calling the
    gateway, recording its answer), across every instance of the service. A lock whose holder died
    is free again, so whoever takes it next and finds a call in flight knows its owner is gone."""

    def held(self, transaction_id: str, *, wait: float) -> AbstractAsyncContextManager[Units]:
        """The transaction's lock, waited for up to `wait` seconds (GatewayCallInFlight, 409, if
        another holder keeps it longer); the operation's units run through what it yields."""
        ...

    def if_free(self, transaction_id: str) -> AbstractAsyncContextManager[Units | None]:
        """The lock if nobody holds it (None if someone does), without waiting."""
        ...

    def unlocked(self) -> Units:
        """Units for an operation that needs no lock (nothing of it is visible before it is done)."""
        ...

    owner: str
    """This process, as `owned` transactions' index rows name it."""

    def owned(self, transaction_id: str, *, wait: float) -> AbstractAsyncContextManager[Units]:
        """The transaction held by this process alone, with no lock in the database (two round trips
        less): for an operation through a gateway that stays in the process, whose units of work are
        kept apart by their appends alone (a new payment; an admin operation, `held_transaction`).
        A new payment's `open_transactions` row names `owner`; the reconciler leaves it alone while
        this process holds it, or, on another instance, while this process lives (`living`) and the
        transaction is young."""
        ...

    async def living(self, owners: Iterable[str]) -> set[str]:
        """Those of `owners` whose process is alive now."""
        ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...


class TransactionReads(Protocol):
    async def read_each(self, transaction_ids: Sequence[str]) -> list[Transaction]:
        """The transactions in the order given, in one read."""
        ...


@dataclass(frozen=True)
class OpenTransaction:
    """A row of `open_transactions`: `owner` is the process holding it without a lock (`owned`),
    None for a transaction held by its lock."""

    transaction_id: str
    order_id: str
    gateway: str
    since: datetime
    owner: str | None = None


class TransactionIndex(Protocol):
    """The payment's indexes beside its events, written with the unit of work: the transactions the
    reconciler may have to finish (`open_transactions`), and each gateway reference's transaction
    (`gateway_references`, for webhooks that name only the gateway's object)."""

    async def opened(
        self, transaction_id: str, order_id: str, gateway: str, since: datetime, owner: str | None = None
    ) -> None: ...

    async def closed(self, transaction_id: str) -> None: ...

    async def oldest_open(self, limit: int) -> list[OpenTransaction]:
        """The open transactions, longest open first (as committed)."""
        ...

    async def reference_recorded(self, reference: str, transaction_id: str) -> None:
        """A reference already indexed keeps its first transaction."""
        ...

    async def transaction_of(self, reference: str) -> str | None: ...


class WebhookInbox(Protocol):
    async def first_delivery(self, consumer: str, event_id: UUID) -> bool:
        """Whether the notification is new; it then counts as delivered once the unit commits."""
        ...


TRANSACTION_INDEX: Port[TransactionIndex] = Port("payment.transaction_index")
WEBHOOK_INBOX: Port[WebhookInbox] = Port("payment.webhook_inbox")
