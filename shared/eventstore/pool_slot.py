"""Where an object keeps the connection pool it opens after it is built (the service's database, the
personal data key store): one place for "not open yet" and for closing it once."""

from __future__ import annotations

from shared.eventstore.database import Pool


class PoolSlot:
    """Empty until `fill`; `pool` before then (or after `close`) is a RuntimeError saying
    `not_open`, not an AttributeError on None somewhere deeper."""

    def __init__(self, not_open: str) -> None:
        self._not_open = not_open
        self._pool: Pool | None = None

    def fill(self, pool: Pool) -> Pool:
        self._pool = pool
        return pool

    @property
    def pool(self) -> Pool:
        if self._pool is None:
            raise RuntimeError(self._not_open)
        return self._pool

    async def close(self) -> None:
        """Close the pool if it is open; again, or before it opened, does nothing."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
