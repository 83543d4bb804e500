"""Under the reserve-at-checkout policy, reservations of orders not paid in time are released."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from services.inventory.application.order_flow import release, reservation_expired
from services.inventory.domain.allocation import OrderAllocation
from shared.contracts.envelope import utc_now
from shared.eventstore.unit_of_work import Database, UnitOfWork

log = logging.getLogger(__name__)


async def release_expired(database: Database, ttl: timedelta) -> int:
    """One sweep: release every unpaid reservation older than `ttl`; returns how many."""
    rows = await database.pool.fetch(
        "SELECT stream_id FROM streams WHERE stream_type = 'allocation'"
        " AND stream_id IN (SELECT stream_id FROM events WHERE event_type = 'OrderStockAllocated'"
        " AND occurred_at <= now() - make_interval(secs => $1))",
        ttl.total_seconds(),
    )
    released = 0
    for row in rows:
        order_id = row["stream_id"].removeprefix("allocation-")

        async def expire(uow: UnitOfWork, order_id: str = order_id) -> bool:
            allocation = await uow.load(OrderAllocation, order_id)
            if not reservation_expired(allocation, ttl, utc_now()):
                return False
            await release(uow, order_id, "reservation expired")
            return True

        if await database.run(expire):
            released += 1
    return released


async def sweep_forever(database: Database, ttl: timedelta, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        with contextlib.suppress(Exception):
            count = await release_expired(database, ttl)
            if count:
                log.info("released %d expired reservations", count)
