"""Instances of the payment use cases in the test's process, on a payment database of their own: as
many as a test needs, each with its own locks and presence, as separate processes would have."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from services.payment.adapters.gateways.manual import ManualGateway
from services.payment.adapters.postgres.locking import PostgresTransactionLocks
from services.payment.adapters.postgres.tables import PostgresTransactionReads, provide_tables
from services.payment.adapters.tables import PAYMENT_DDL
from services.payment.application.context import Payments
from services.payment.application.gateway_config import seed_gateways
from services.payment.domain.gateway_settings import MANUAL
from shared.eventstore.database import migrate
from shared.eventstore.unit_of_work import Database
from tests.support.databases import fresh_database


@contextlib.asynccontextmanager
async def manual_payment_database(postgres: Any, *, max_size: int) -> AsyncIterator[Database]:
    """A new payment database with its tables and the manual gateway enabled."""
    async with fresh_database(postgres, "payment", max_size=max_size) as db:
        await migrate(db.pool, PAYMENT_DDL)
        provide_tables(db)
        await seed_gateways(db, {MANUAL: (True, "")})
        yield db


@contextlib.asynccontextmanager
async def instance(
    database: Database, gateway: ManualGateway | None = None, **settings: float
) -> AsyncIterator[Payments]:
    """One instance of the payment service's use cases on `database` (its own locks and presence),
    paying through `gateway` (the manual one by default); `settings`: `Payments`' time limits."""
    payments = Payments(
        database=database,
        gateways={MANUAL: gateway or ManualGateway()},
        locks=PostgresTransactionLocks(database, pool_size=2),
        reads=PostgresTransactionReads(database),
        **settings,
    )
    await payments.open()
    try:
        yield payments
    finally:
        await payments.close()
