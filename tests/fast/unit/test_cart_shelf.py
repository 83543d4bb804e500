"""The cart reads stock levels and automatic promotions once per unit of work, together: adding an
item (its stock, then the promotions to price the answer) and checking out (the promotions to price,
then every stocked line's level) each cost one statement. The port's PostgreSQL adapter
(`adapters/postgres/reads.py`) runs on a fake connection that records the statements; the HTTP
suites (tests/cart/test_checkout_rechecks_stock.py, test_automatic_promotions.py) prove the answers
against PostgreSQL."""

from __future__ import annotations

from typing import Any, cast

from services.cart.adapters.postgres.reads import PostgresStockAndPromotions
from services.cart.application.lookups import automatic_promotions, available_stock
from services.cart.application.ports import STOCK_AND_PROMOTIONS
from services.cart.domain.cart import ProductSnapshot
from shared.eventstore.port import Port, UnitOfWork


class RecordingReads:
    """Answers as PostgreSQL would from `levels` (product -> (available, managed)), no promotions."""

    def __init__(self, levels: dict[str, tuple[int, bool]]) -> None:
        self.levels = levels
        self.statements: list[tuple[str, list[str]]] = []

    async def fetch(self, statement: str, ids: list[str]) -> list[dict[str, Any]]:
        self.statements.append((statement, ids))
        rows = [
            {"product_id": pid, "available": self.levels[pid][0], "managed": self.levels[pid][1]}
            for pid in ids
            if pid in self.levels
        ]
        if "automatic_promotions" in statement:  # the LEFT JOIN: one row even when no level matched
            rows = [{**row, "promotions": []} for row in rows] or [
                {"promotions": [], "product_id": None, "available": None, "managed": None}
            ]
        return rows


class FakeUnit:
    """A unit with PostgreSQL's `StockAndPromotions` adapter on the recording connection."""

    def __init__(self, reads: RecordingReads) -> None:
        self.reads = reads
        self.memo: dict[str, Any] = {}
        self._shelf_reads = PostgresStockAndPromotions(cast(UnitOfWork, self))

    def adapter(self, port: Port[Any]) -> Any:
        assert port is STOCK_AND_PROMOTIONS
        return self._shelf_reads


def product(product_id: str, manage_stock: bool = True) -> ProductSnapshot:
    return ProductSnapshot(product_id, product_id, product_id, product_id, "", "live", manage_stock, {})


def unit(levels: dict[str, tuple[int, bool]]) -> tuple[UnitOfWork, RecordingReads]:
    reads = RecordingReads(levels)
    return cast(UnitOfWork, FakeUnit(reads)), reads


async def test_adding_an_item_reads_its_stock_and_the_promotions_in_one_statement() -> None:
    uow, reads = unit({"a": (7, True)})
    assert await available_stock(uow, product("a")) == 7
    assert await automatic_promotions(uow) == []
    assert len(reads.statements) == 1 and "automatic_promotions" in reads.statements[0][0]


async def test_a_checkout_prices_and_checks_every_stocked_line_in_one_statement() -> None:
    uow, reads = unit({"a": (2, True), "b": (5, False)})
    await automatic_promotions(uow, ["a", "b", "c"])
    assert await available_stock(uow, product("a")) == 2
    assert await available_stock(uow, product("b")) is None  # inventory does not manage it
    assert await available_stock(uow, product("c")) == 0  # managed, no level recorded: nothing to sell
    assert reads.statements == [(reads.statements[0][0], ["a", "b", "c"])]


async def test_a_product_not_read_yet_costs_one_stock_read_and_never_the_promotions_again() -> None:
    uow, reads = unit({"a": (2, True), "d": (4, True)})
    await automatic_promotions(uow, ["a"])
    assert await available_stock(uow, product("d")) == 4
    assert await automatic_promotions(uow) == []
    assert len(reads.statements) == 2
    assert "automatic_promotions" not in reads.statements[1][0] and reads.statements[1][1] == ["d"]


async def test_a_product_whose_stock_is_not_managed_reads_nothing() -> None:
    uow, reads = unit({})
    assert await available_stock(uow, product("x", manage_stock=False)) is None
    assert reads.statements == []
