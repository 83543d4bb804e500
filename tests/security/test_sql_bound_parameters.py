"""SQL only with bound parameters: no statement's text is built from anything a client sends.

Statically: every non-constant piece spliced into a statement anywhere in the services, the
kernel or the admin tool (found by `sql_scan`, which sees what ruff's S608 misses) is either a
code constant (an UPPER_CASE name) or listed below with why it cannot carry client input. A new
splice fails until someone has looked at it. Dynamically: injection payloads through every
client-controlled part of the API that reaches SQL change nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

import pytest

from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.shoppers import create_product
from tests.security.sql_scan import splices
from tests.support.services import REPO

PACKAGES = ("shared", "services", "checkout_admin")
CONSTANT_NAME = re.compile(r"_?[A-Z][A-Z0-9_]*")

_SCHEMA = "a projection's schema: its definition's constant name"
REVIEWED: dict[tuple[str, str], str] = {
    ("shared/eventstore/database.py", "ddl"): "the services' DDL statements, constants in their code",
    ("shared/eventstore/unit_of_work.py", "statement"): "UnitOfWork.write: its callers' constant statements",
    ("shared/projections/listing.py", "table"): "callers' constant table names (their calls are checked too)",
    ("shared/projections/listing.py", "key"): "callers' constant key columns (checked too)",
    ("shared/projections/listing.py", "where"): "callers' constant conditions (checked too)",
    ("shared/projections/rebuild.py", "shadow"): "the projection's table names from its definition",
    ("shared/projections/rebuild.py", "live"): "the projection's table names from its definition",
    ("shared/projections/rebuild.py", "statement"): "the projection's DDL, constants in its definition",
    ("shared/projections/runner.py", "schema"): _SCHEMA,
    ("shared/projections/runner.py", "projection.schema"): _SCHEMA,
    ("shared/projections/runner.py", "statement"): "the projection's DDL, constants in its definition",
    ("services/cart/projections/catalogue.py", "schema"): _SCHEMA,
    ("services/cart/projections/customers.py", "schema"): _SCHEMA,
    ("services/cart/projections/customer_carts.py", "schema"): _SCHEMA,
    ("services/cart/projections/promotions.py", "schema"): _SCHEMA,
    ("services/fulfillment/projections/shipments.py", "schema"): _SCHEMA,
    ("services/inventory/adapters/postgres/read_models.py", "ReservationsProjection().schema"): _SCHEMA,
    ("services/inventory/adapters/postgres/read_models.py", "StockProjection().schema"): _SCHEMA,
    ("services/inventory/projections/reservations.py", "schema"): _SCHEMA,
    ("services/inventory/projections/stock.py", "schema"): _SCHEMA,
    ("services/order/projections/orders.py", "schema"): _SCHEMA,
    ("services/order/projections/listing.py", "OrdersProjection().schema"): _SCHEMA,
    ("services/order/projections/orders.py", "_update_order(1)"): "numbered placeholders, type names",
    ("services/order/projections/orders.py", "_update_order(22)"): "numbered placeholders, type names",
    ("services/order/projections/listing.py", "where"): "_where: whitelisted columns = $n placeholders",
    ("services/order/projections/listing.py", "_order_by(query.sort)"): "a whitelisted column and ASC/DESC",
    ("services/order/projections/listing.py", "n + 1"): "an integer placeholder number",
    ("services/order/projections/listing.py", "n + 2"): "an integer placeholder number",
}


def test_every_spliced_piece_of_sql_is_a_constant_or_reviewed():
    found = [s for s in splices(REPO, PACKAGES) if not CONSTANT_NAME.fullmatch(s.expression)]
    unreviewed = [f"{s.path}:{s.line} {s.function}(): {s.expression}" for s in found if s.key not in REVIEWED]
    assert not unreviewed, "SQL text built from unreviewed values (use $n parameters):\n" + "\n".join(
        unreviewed
    )
    stale = set(REVIEWED) - {s.key for s in found}
    assert not stale, f"reviewed splices that no longer exist (remove them): {sorted(stale)}"


def test_the_scanner_sees_what_ruff_misses(tmp_path: Path):
    """The scanner itself: each way of smuggling text into SQL is reported, bound parameters are not."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "queries.py").write_text(
        "BASE = 'SELECT * FROM t WHERE a = '\n"
        "async def f(conn, name, sort):\n"
        "    query = BASE + name\n"
        "    await conn.fetch(query)\n"
        "    await conn.execute('DELETE FROM t WHERE b = {}'.format(sort))\n"
        "    await conn.fetchrow(' '.join(['SELECT', sort]))\n"
        "    await conn.fetchval('SELECT %s' % name)\n"
        "    await conn.execute('SELECT $1', name)\n"
    )
    found = sorted((s.line, s.expression) for s in splices(tmp_path, ("pkg",)))
    assert found == [(4, "name"), (5, "sort"), (6, "sort"), (7, "name")]


PAYLOADS = (
    "x' OR '1'='1",
    "x'; DROP TABLE events; --",
    'x"; DELETE FROM inbox; --',
    "1) UNION SELECT document FROM proj_orders.orders --",
)


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_injection_payloads_through_the_api_change_nothing(
    services, admin_token, shopper_token, payload
):
    async with client(services["order"], admin_token) as orders:
        before = (await orders.get("/v2/orders")).json()["meta"]["results"]["total"]
        for query in (
            f"filter=eq(status,{quote(payload)})",
            f"filter=eq(email,{quote(payload)}):eq(status,complete)",
            f"sort={quote(payload)}",
        ):
            response = await orders.get(f"/v2/orders?{query}")
            if response.status_code == 200:
                assert response.json()["data"] == [], (query, response.text)
            else:
                assert_ep_error(response, 400)
        assert_ep_error(await orders.get(f"/v2/orders/{quote(payload, safe='')}"), 404)

    product = await create_product(services["cart"], admin_token)
    async with client(services["cart"], shopper_token) as cart:
        ref = quote(payload, safe="")
        added = await cart.post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
        )
        assert added.status_code in (201, 400, 404), added.text
        if added.status_code == 201:
            assert (await cart.get(f"/v2/carts/{ref}/items")).json()["data"][0]["product_id"] == product["id"]
        customer = await cart.post(
            "/v2/customers",
            json={
                "data": {"type": "customer", "name": payload, "email": f"inj.{uuid4().hex[:8]}@example.com"}
            },
        )
        assert customer.status_code == 201, customer.text
        assert customer.json()["data"]["name"] == payload
        token = await cart.post(
            "/v2/customers/tokens", json={"data": {"type": "token", "email": payload, "password": payload}}
        )
        assert_ep_error(token)  # no customer has that email: refused, nothing else
    async with client(services["cart"], admin_token) as admin:
        body = {"type": "product", "name": payload, "sku": f"inj-{uuid4().hex[:8]}", "description": payload}
        named = await admin.post("/v2/products", json={"data": body})
        assert named.status_code == 201, named.text
        stored = (await admin.get(f"/v2/products/{named.json()['data']['id']}")).json()["data"]
        assert (stored["name"], stored["description"]) == (payload, payload)  # kept as text, verbatim
    async with client(services["inventory"], admin_token) as stock:
        assert_ep_error(await stock.get(f"/v2/inventories/{quote(payload, safe='')}"), 404)

    async with client(services["order"], admin_token) as orders:
        after = await orders.get("/v2/orders")
    assert after.status_code == 200 and after.json()["meta"]["results"]["total"] == before
    for service in services.values():
        async with client(service) as probe:
            assert (await probe.get("/ready")).status_code == 200
