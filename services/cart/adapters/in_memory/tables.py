"""The cart's own tables in memory, for the fast tier: one `CartTables` per in-memory database,
shared by every unit of work on it, and what one unit staged on them.

A unit's writes are staged, checked against what is committed plus what the unit staged before
(so a clash raises at once, as PostgreSQL's unique keys do), and applied only once the unit commits
(`uow.after_commit`): a unit that fails writes nothing. What it does not do: hold two concurrent
units apart (PostgreSQL's unique keys and advisory lock do); a unit staged while another commits a
clashing claim meanwhile still applies its own at commit. The fast tier runs one unit at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from shared.eventstore.port import UnitOfWork


@dataclass
class CartTables:
    """What is committed: each dict in the shape of its PostgreSQL table (`adapters/tables.py`)."""

    product_skus: dict[str, str] = field(default_factory=dict)
    """sku -> product id"""
    customer_emails: dict[str, str] = field(default_factory=dict)
    """email claim -> customer id"""
    promotion_codes: dict[str, str] = field(default_factory=dict)
    """code in lower case -> promotion id"""
    automatic_promotions: dict[str, None] = field(default_factory=dict)
    """the automatic list, in the order promotions joined it"""
    stock_levels: dict[str, tuple[int, bool]] = field(default_factory=dict)
    """product id -> (available, managed), as inventory's `StockLevelChanged` sets them"""

    stock_level_versions: dict[str, int] = field(default_factory=dict)
    """product id -> the version of the level recorded (`ports.StockLevels`)"""

    def record_stock_level(
        self, product_id: str, available: int, *, managed: bool = True, version: int | None = None
    ) -> None:
        """A level as `ports.StockLevels.record` keeps it (a test may set one without a version)."""
        if version is not None:
            if self.stock_level_versions.get(product_id, 0) >= version:
                return
            self.stock_level_versions[product_id] = version
        self.stock_levels[product_id] = (available, managed)

    def copy(self) -> CartTables:
        return replace(
            self,
            product_skus=dict(self.product_skus),
            customer_emails=dict(self.customer_emails),
            promotion_codes=dict(self.promotion_codes),
            automatic_promotions=dict(self.automatic_promotions),
            stock_levels=dict(self.stock_levels),
            stock_level_versions=dict(self.stock_level_versions),
        )


Write = Callable[[CartTables], object]


class StagedTables:
    """One unit's writes on the committed tables."""

    def __init__(self, committed: CartTables, uow: UnitOfWork) -> None:
        self._committed = committed
        self._uow = uow
        self._writes: list[Write] = []

    def view(self) -> CartTables:
        """The tables as this unit sees them: committed, then its own writes."""
        seen = self._committed.copy()
        for write in self._writes:
            write(seen)
        return seen

    def stage(self, write: Write) -> None:
        if not self._writes:
            self._uow.after_commit(self._apply)
        self._writes.append(write)

    def _apply(self) -> None:
        for write in self._writes:
            write(self._committed)


def staged_tables(committed: CartTables, uow: UnitOfWork) -> StagedTables:
    """The unit's one `StagedTables` (shared by its adapters, so each sees the others' writes)."""
    staged = uow.memo.get("cart.in_memory_tables")
    if not isinstance(staged, StagedTables):
        staged = uow.memo["cart.in_memory_tables"] = StagedTables(committed, uow)
    return staged
