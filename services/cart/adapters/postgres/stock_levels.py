"""`ports.StockLevels` on PostgreSQL's `stock_levels`."""

from __future__ import annotations

from shared.eventstore.port import UnitOfWork

# Written with the message's inbox row in one statement (`UnitOfWork.write`: one jsonb array of
# arguments), so applying a stock level needs no transaction of its own.
_RECORD = """
INSERT INTO stock_levels (product_id, available, managed, version)
VALUES ($1::jsonb ->> 0, ($1::jsonb ->> 1)::bigint, ($1::jsonb ->> 2)::boolean, ($1::jsonb ->> 3)::integer)
ON CONFLICT (product_id) DO UPDATE
    SET available = EXCLUDED.available, managed = EXCLUDED.managed, version = EXCLUDED.version,
        updated_at = now()
    WHERE stock_levels.version < EXCLUDED.version
"""


class PostgresStockLevels:
    """One upsert, guarded by the version, written with the unit's other statements."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def record(self, product_id: str, available: int, managed: bool, version: int) -> None:
        await self._uow.write(_RECORD, product_id, available, managed, version)
