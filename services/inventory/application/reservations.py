"""The reserve policy's deadline: checkout reservations not paid in time are released.

A periodic sweep reads the open reservations past their deadline (`reservations` projection) and
releases each in its own unit of work, through the order's allocation, which re-checks the
deadline and payment: a reservation paid or cancelled meanwhile is left alone, and several
service instances sweeping at once release each reservation once (optimistic concurrency).
"""

from __future__ import annotations

import asyncio
import logging

from services.inventory.application.order_flow import expire_reservation
from services.inventory.application.ports import DUE_RESERVATIONS
from shared.eventstore.port import EventDatabase, UnitOfWork

log = logging.getLogger(__name__)


async def release_expired(database: EventDatabase, *, batch: int = 100) -> int:
    """One sweep: release unpaid reservations past their deadline; returns how many."""
    released = 0
    for due in await database.adapter(DUE_RESERVATIONS).due(batch):

        async def expire(uow: UnitOfWork, order_id: str = due) -> bool:
            return await expire_reservation(uow, order_id)

        if await database.run(expire):
            released += 1
    return released


async def sweep_forever(database: EventDatabase, every: float) -> None:
    """Sweep every `every` seconds until cancelled; a failed sweep is logged and retried."""
    while True:
        await asyncio.sleep(every)
        try:
            count = await release_expired(database)
        except Exception as exc:
            log.warning("reservation sweep failed (%s: %s); retrying", type(exc).__name__, exc)
            continue
        if count:
            log.info("released %d expired reservations", count)
