"""The optional `shipments` read model: off unless FULFILLMENT_SHIPMENTS_PROJECTION asks for it, and
when on, one row per shipment with its status: shipments begun by a correction or a fulfilment
request, and those an earlier version opened at the order's creation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from services.fulfillment.application.shipping import correct_address, dispatch
from services.fulfillment.bootstrap import build_runtime
from services.fulfillment.projections.shipments import ShipmentsProjection
from services.fulfillment.settings import Settings
from shared.contracts import events as contracts
from shared.contracts.values import Address, StockLine
from shared.eventstore.unit_of_work import Database
from shared.projections.runner import ProjectionRunner
from tests.fulfillment.earlier_versions import opened_by_an_earlier_version
from tests.support.databases import fresh_database

UNUSED = {"database_url": "postgresql://unused/x", "kafka_bootstrap_servers": "unused:9092"}
ADDRESS = Address(first_name="A", last_name="B", line_1="1", postcode="P", country="GB")
LINES = [StockLine(product_id="p1", quantity=2)]


def projections() -> list[str]:
    runtime = build_runtime(Settings(**UNUSED))
    return [projection.name for projection in runtime.projection_definitions]


def test_the_shipments_model_runs_only_when_asked_for(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("FULFILLMENT_SHIPMENTS_PROJECTION", raising=False)
    assert projections() == []  # no request reads it
    monkeypatch.setenv("FULFILLMENT_SHIPMENTS_PROJECTION", "1")
    assert projections() == ["shipments"]
    monkeypatch.setenv("FULFILLMENT_SHIPMENTS_PROJECTION", "0")
    assert projections() == []


@pytest.fixture
async def database(postgres) -> AsyncIterator[Database]:
    async with fresh_database(postgres, "fulfillment", max_size=4) as db:
        yield db


async def test_when_on_it_shows_each_shipment_and_its_status(database: Database):
    await database.run(lambda uow: opened_by_an_earlier_version(uow, "o1"))
    corrected = contracts.OrderUpdated(
        order_id="o2", shipping_address=ADDRESS, updated_at=datetime(2026, 12, 3, tzinfo=UTC)
    )
    await database.run(lambda uow: correct_address(uow, corrected, 2))
    for order_id in ("o2", "o3"):
        requested = contracts.OrderFulfilmentRequested(
            order_id=order_id, shipping_address=ADDRESS, lines=LINES
        )
        await database.run(lambda uow, requested=requested: dispatch(uow, requested))

    runner = ProjectionRunner(database.dsn, database.pool, ShipmentsProjection(), signals=database.signals)
    await runner.setup()
    await runner.catch_up()
    rows = await database.pool.fetch(
        "SELECT order_id, status, opened_at IS NOT NULL AS opened, shipping_address IS NOT NULL AS addressed,"
        " lines FROM proj_shipments.shipments ORDER BY order_id"
    )
    assert [(r["order_id"], r["status"], r["opened"], r["addressed"]) for r in rows] == [
        ("o1", "unfulfilled", True, False),
        ("o2", "fulfilled", False, True),
        ("o3", "fulfilled", False, True),
    ]
