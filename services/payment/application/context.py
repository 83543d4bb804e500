"""What the payment use cases run against: the database, the gateways, and their time limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import asyncpg

from services.payment.application.gateway_config import read_gateway
from services.payment.application.ports import Gateway
from services.payment.domain.errors import GatewayNotEnabled
from services.payment.domain.gateway_settings import GatewaySettings
from shared.eventstore.database import create_pool
from shared.eventstore.unit_of_work import Database


@dataclass
class Payments:
    """`sessions` is a pool of its own for the connections that hold a transaction's lock for a
    whole operation (up to the allocation timeout): were they taken from the service's pool,
    enough waiting payments could starve the consumer that records the replies they wait for.
    Its connections are not reset on release: `locking` unlocks before handing one back, and
    closes it when it cannot (the only session state its users keep is that lock)."""

    database: Database
    gateways: Mapping[str, Gateway]
    allocation_timeout: float = 10.0  # PAYMENT_ALLOCATION_TIMEOUT_SECONDS
    order_wait: float = 5.0  # how long a request waits for a checkout not consumed yet
    lock_wait: float = 2.0  # how long a request waits for another one on the same transaction
    session_pool_size: int = 20
    _sessions: asyncpg.Pool | None = field(default=None, init=False)

    async def open(self) -> None:
        self._sessions = await create_pool(
            self.database.dsn, min_size=1, max_size=self.session_pool_size, session_state=False
        )

    async def close(self) -> None:
        if self._sessions is not None:
            await self._sessions.close()
            self._sessions = None

    @property
    def sessions(self) -> asyncpg.Pool:
        if self._sessions is None:
            raise RuntimeError("the payment sessions pool is not open")
        return self._sessions

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
