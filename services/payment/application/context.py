"""What the payment use cases run against: the database, the transactions' locks, the gateways,
and their time limits (all ports: `ports.py`; the composition root gives PostgreSQL's adapters,
the fast tier in-memory ones)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.payment.application.gateway_config import read_gateway
from services.payment.application.ports import Gateway, TransactionLocks, TransactionReads
from services.payment.domain.errors import GatewayNotEnabled
from services.payment.domain.gateway_settings import GatewaySettings
from shared.eventstore.port import EventDatabase


@dataclass
class Payments:
    """`locks` hold a transaction for a whole operation and run its units of work; `reads` read
    transactions beyond what a unit of work loads (several at once)."""

    database: EventDatabase
    gateways: Mapping[str, Gateway]
    locks: TransactionLocks
    reads: TransactionReads
    allocation_timeout: float = 10.0  # PAYMENT_ALLOCATION_TIMEOUT_SECONDS
    order_wait: float = 5.0  # how long a request waits for a checkout not consumed yet
    lock_wait: float = 2.0  # how long a request waits for another one on the same transaction

    @property
    def owned_grace(self) -> float:
        """How long a transaction another living process holds without a lock (`locks.owned`) is
        left to it: the longest such a payment stays open (its wait for stock), and a margin. A
        request that failed without settling it is finished by its own process's reconciler at once;
        this bounds only a process that lives on but has lost track of it."""
        return self.allocation_timeout + 30.0

    async def open(self) -> None:
        await self.locks.open()

    async def close(self) -> None:
        await self.locks.close()

    def gateway(self, name: str) -> Gateway:
        """The adapter, with the key it was last given (`enabled_gateway`, `current_gateway`)."""
        gateway = self.gateways.get(name)
        if gateway is None:
            raise GatewayNotEnabled(name)
        return gateway

    async def enabled_gateway(self, name: str, settings: GatewaySettings | None = None) -> Gateway:
        """For a new payment: the adapter with the configured key, or Elastic Path's refusal if an
        admin disabled the gateway (read from the event store: disabled on one instance, on all).
        `settings`: the configuration if the caller has just read it (with the order)."""
        if settings is None or settings.id != name:
            settings = await read_gateway(self.database, name)
        if not settings.enabled:
            raise GatewayNotEnabled(name)
        return self._keyed(settings)

    async def current_gateway(self, name: str) -> Gateway:
        """For a transaction already made (capture, refund, cancel, confirm, reconciliation): the
        adapter with the key configured now, enabled or not, since money already moving must be
        finished. A gateway that stays in the process has no key, and costs no read."""
        gateway = self.gateway(name)
        if not gateway.records_calls:
            return gateway
        return self._keyed(await self.database.read(GatewaySettings, name))

    def _keyed(self, settings: GatewaySettings) -> Gateway:
        gateway = self.gateway(settings.slug)
        gateway.use_login(settings.login)
        return gateway
