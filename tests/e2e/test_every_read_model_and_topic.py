"""The operator's two promises, for the whole system rather than one handler: after a scripted
workload through all five services (customers, promotions, stock, manual and Stripe payments,
captures, refunds, cancellations, a lost race for the last unit, shipping),

- rebuilding every projection of every service gives a read model equal, row for row, to the live
  one, while the service keeps answering reads of it;
- replaying every topic from offset 0 into every service that consumes it changes no state at all
  (every table of every service's database, events and read models alike);

and `streams show` tells one order's whole story as the seed tells it. The module runs twice, a
whole stack each time: once per inventory policy (allocate at payment, reserve at checkout)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from checkout_admin.registry import SERVICES
from tests.cart.conftest import ADDRESS, create_promotion
from tests.cart.registered_customers import registered
from tests.e2e.conftest import Spawner, service_fixture
from tests.e2e.operator import run_admin
from tests.e2e.quiescence import database_state, quiet_state
from tests.e2e.shop import checkout, eventually, managed_product, order_state, stock
from tests.support.services import RunningService

pytestmark = pytest.mark.slow

# What each service serves from each of its projections, to read while it is rebuilt.
READS = {
    ("cart", "catalogue"): "/v2/products",
    ("cart", "customers"): "/v2/products",  # its list is admin-only: its table is read directly as well
    ("cart", "customer_carts"): "/v2/products",  # GET /v2/carts needs a customer token: table read too
    ("cart", "promotions"): "/v2/promotions",
    ("order", "orders"): "/v2/orders",
    ("inventory", "stock"): "/v2/inventories",
    ("inventory", "reservations"): "/v2/inventories",
    ("fulfillment", "shipments"): "/health",
}


# Allocating at payment, nothing is ever reserved at checkout: the reservations model does not run
# (it is filled, and proven to rebuild, under the other policy).
NO_RESERVATIONS = ("inventory", "reservations", "allocate_on_payment")


def read_model_settings(inventory_policy: str) -> dict[str, str]:
    """The settings that choose which read models run, as this module's services have them: the
    operator's tool must be given them too, as it builds each service's runtime to find its models.
    `shipments` is off by default (nothing reads it): on here, to prove it rebuilds."""
    return {"INVENTORY_POLICY": inventory_policy, "FULFILLMENT_SHIPMENTS_PROJECTION": "1"}


fulfillment_service = service_fixture("fulfillment", FULFILLMENT_SHIPMENTS_PROJECTION="1")


@pytest.fixture(scope="module", params=["allocate_on_payment", "reserve_on_checkout"])
def inventory_policy(request) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def topic_prefix(inventory_policy: str) -> str:
    """A fresh prefix per policy, so every service of the module is started again for each."""
    return f"e2e{inventory_policy[:7]}{uuid4().hex[:6]}."


@pytest.fixture(scope="module")
async def inventory_service(spawner: Spawner, inventory_policy):
    service = await spawner.start(
        "inventory", INVENTORY_POLICY=inventory_policy, INVENTORY_RESERVATION_TTL_SECONDS="600"
    )
    yield service
    service.stop()


@pytest.fixture(scope="module")
def admin_env(admin_env, inventory_policy):
    """The five services' environment (tests/e2e/conftest.py), with this module's read model settings."""
    return {**admin_env, **read_model_settings(inventory_policy)}


async def pay(
    api, order_id: str, method: str, gateway: str = "manual", *, payer: str = "pay_shopper", **extra: str
) -> httpx.Response:
    """A payment by the shopper; a manual `purchase` is the admin's (`payer="pay_admin"`)."""
    return await api[payer].post(
        f"/v2/orders/{order_id}/payments", json={"data": {"gateway": gateway, "method": method, **extra}}
    )


async def settled(api, order_id: str, expected: tuple[str, str, str]) -> None:
    await eventually(lambda: order_state(api, order_id), lambda s: s == expected, f"order {order_id}")


@pytest.fixture(scope="module")
async def workload(api, inventory_policy, services, kafka_bootstrap_servers, topic_prefix) -> dict[str, Any]:
    """Every kind of fact the system records, through the public API as shoppers and admins."""
    reserving = inventory_policy == "reserve_on_checkout"
    started = datetime.now(UTC).isoformat()
    code = f"SAVE{uuid4().hex[:6]}"
    await create_promotion(api["cart_admin"], code=code, amount=500)
    email = f"april.{uuid4().hex[:6]}@example.com"
    customer = await api["shopper"].post(
        "/v2/customers",
        json={"data": {"type": "customer", "name": "April Ludgate", "email": email, "password": "pa55word"}},
    )
    assert customer.status_code == 201, customer.text
    # A customer who changes her name and keeps a cart of her own, and one who is deleted (issue 18).
    ann = await registered(api["shopper"], "Ann Perkins")
    renamed = {"data": {"type": "customer", "name": "Ann Perkins-Wyatt"}}
    assert (await api["shopper"].put(f"/v2/customers/{ann.id}", json=renamed, headers=ann.headers)).is_success
    own_cart = await api["shopper"].post("/v2/carts", json={"data": {"name": "Ann's"}}, headers=ann.headers)
    assert own_cart.status_code == 201, own_cart.text
    ben = await registered(api["shopper"], "Ben Wyatt")
    assert (await api["cart_admin"].delete(f"/v2/customers/{ben.id}")).status_code == 204

    product = await managed_product(api, 10)
    scarce = await managed_product(api, 1)

    shipped = await checkout(api, product, 2)
    authorised = (await pay(api, shipped["id"], "authorize")).json()["data"]
    capture = await api["pay_admin"].post(
        f"/v2/orders/{shipped['id']}/transactions/{authorised['id']}/capture"
    )
    assert capture.status_code == 200, capture.text
    await settled(api, shipped["id"], ("complete", "paid", "unfulfilled"))
    fulfil = {"data": {"type": "order", "shipping": "fulfilled"}}
    assert (await api["orders"].put(f"/v2/orders/{shipped['id']}", json=fulfil)).status_code == 200

    refunded = await checkout(api, product, 1)
    purchase = (await pay(api, refunded["id"], "purchase", payer="pay_admin")).json()["data"]  # a transfer
    await settled(api, refunded["id"], ("complete", "paid", "unfulfilled"))
    refund = await api["pay_admin"].post(
        f"/v2/orders/{refunded['id']}/transactions/{purchase['id']}/refund",
        json={"data": {"amount": purchase["amount"]}},
    )
    assert refund.status_code == 200, refund.text

    cancelled = await checkout(api, product, 1)
    assert (await pay(api, cancelled["id"], "authorize")).status_code == 200
    await settled(api, cancelled["id"], ("processing", "authorized", "unfulfilled"))
    cancel = {"data": {"type": "order", "status": "cancelled"}}
    assert (await api["orders"].put(f"/v2/orders/{cancelled['id']}", json=cancel)).status_code == 200

    by_card = await checkout(api, product, 1)
    declined = await pay(
        api, by_card["id"], "purchase", gateway="stripe_payment_intents", payment="pm_card_chargeCustomerFail"
    )
    assert declined.status_code == 400, declined.text
    paid = await pay(api, by_card["id"], "purchase", gateway="stripe_payment_intents", payment="pm_card_visa")
    assert paid.status_code == 200, paid.text

    first = await checkout(api, scarce, 1)
    if reserving:  # the checkout reserved the last unit: a second shopper cannot check out
        await eventually(lambda: stock(api, scarce["id"]), lambda s: s[2] == 0, "reserved")

        async def late_shopper() -> httpx.Response:
            """A fresh cart each try: the cart service learns of the reservation over Kafka, after
            inventory's own read shows it, so the first tries may still be let in."""
            return await api["shopper"].post(
                f"/v2/carts/{uuid4().hex}/items",
                json={"data": {"type": "cart_item", "id": scarce["id"], "quantity": 1}},
            )

        late = await eventually(late_shopper, lambda r: r.status_code == 400, "the late shopper refused")
        assert late.json()["errors"][0]["title"] == "Insufficient stock", late.text
        assert (await pay(api, first["id"], "purchase", payer="pay_admin")).status_code == 200
    else:  # both check out; the slower payment loses the last unit
        second = await checkout(api, scarce, 1)
        assert (await pay(api, first["id"], "purchase", payer="pay_admin")).status_code == 200
        lost = await pay(api, second["id"], "authorize")  # a shopper's, refused for stock before anything
        assert lost.status_code == 422 and lost.json()["errors"][0]["title"] == "Cannot complete request", (
            lost.text
        )

    ref = uuid4().hex
    await api["shopper"].post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    )
    await api["shopper"].post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "promotion_item", "code": code}}
    )
    discounted = await api["shopper"].post(
        f"/v2/carts/{ref}/checkout",
        json={"data": {"customer": {"name": "April", "email": email}, "billing_address": ADDRESS}},
    )
    assert discounted.status_code == 201, discounted.text

    await settled(api, shipped["id"], ("complete", "paid", "fulfilled"))
    await settled(api, refunded["id"], ("complete", "refunded", "unfulfilled"))
    await settled(api, cancelled["id"], ("cancelled", "authorized", "unfulfilled"))
    await settled(api, by_card["id"], ("complete", "paid", "unfulfilled"))
    await settled(api, first["id"], ("complete", "paid", "unfulfilled"))
    # 10 units: 2 shipped (gone), 1 refunded (still allocated: a refund moves money, not stock),
    # 1 cancelled (released), 1 paid by card; reserving, the unpaid discounted checkout holds one.
    expected = (8, 3, 5) if reserving else (8, 2, 6)
    await eventually(lambda: stock(api, product["id"]), lambda s: s == expected, "stock settled")
    await eventually(lambda: stock(api, scarce["id"]), lambda s: s == (1, 1, 0), "scarce stock settled")
    # The discounted checkout and the refused payments are still being relayed and consumed: the
    # tests compare whole states, so they start from one nothing is still written to.
    await quiet_state(services, kafka_bootstrap_servers, topic_prefix)
    return {"shipped": shipped, "started": started}


async def projection_tables(service: RunningService, projection: str) -> dict[str, list[tuple[Any, ...]]]:
    state = await database_state(service)
    return {name: rows for name, rows in state.items() if name.startswith(f'"proj_{projection}"')}


class Reader:
    """Keeps reading a service (over HTTP, and the projection's own tables) until stopped."""

    def __init__(self, service: RunningService, path: str, projection: str) -> None:
        self.service, self.path, self.projection = service, path, projection
        self.statuses: list[int] = []
        self.table_reads = 0
        self.reading = asyncio.Event()  # set after the first round of reads
        self._stop = asyncio.Event()

    async def run(self, token_client: httpx.AsyncClient) -> None:
        conn = await asyncpg.connect(self.service.env["DATABASE_URL"])
        try:
            async with httpx.AsyncClient(base_url=self.service.url, headers=token_client.headers) as http:
                while not self._stop.is_set():
                    self.statuses.append((await http.get(self.path)).status_code)
                    tables = await conn.fetch(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
                        f"proj_{self.projection}",
                    )
                    for t in tables:
                        await conn.fetch(f'SELECT * FROM "proj_{self.projection}"."{t[0]}"')  # noqa: S608
                        self.table_reads += 1
                    self.reading.set()
                    await asyncio.sleep(0.02)
        finally:
            await conn.close()

    def stop(self) -> None:
        self._stop.set()


async def test_every_projection_of_every_service_rebuilds_to_the_same_rows_while_serving(
    services, workload, api, admin_env, inventory_policy, monkeypatch
):
    listed = await run_admin(admin_env, "projections", "list")
    for name, value in read_model_settings(inventory_policy).items():
        monkeypatch.setenv(name, value)
    if inventory_policy == NO_RESERVATIONS[2]:
        assert not await projection_tables(services["inventory"], "reservations")
        assert "reservations" not in listed
    rebuilt = []
    for service_name, entry in SERVICES.items():
        runtime = entry.build("postgresql://unused/x", "unused:9092", "")
        for projection in runtime.projection_definitions:
            service = services[service_name]
            assert projection.name in listed
            before = await projection_tables(service, projection.name)
            assert any(before.values()), f"{service_name}/{projection.name} is empty"

            reader = Reader(service, READS[(service_name, projection.name)], projection.name)
            reading = asyncio.create_task(reader.run(api["orders"]))
            try:
                # The rebuild starts once the reader reads, so its reads overlap the rebuild.
                await asyncio.wait_for(reader.reading.wait(), timeout=60)
                out = await run_admin(admin_env, "projections", "rebuild", service_name, projection.name)
            finally:
                reader.stop()
                await reading
            assert f"rebuilt {service_name}/{projection.name}" in out and "events/s" in out
            assert reader.statuses and set(reader.statuses) == {200}, (service_name, reader.statuses)
            assert reader.table_reads > 0
            assert await projection_tables(service, projection.name) == before, (
                service_name,
                projection.name,
            )
            rebuilt.append(f"{service_name}/{projection.name}")
    running = [(s, p) for s, p in READS if (s, p, inventory_policy) != NO_RESERVATIONS]
    assert sorted(rebuilt) == sorted(f"{s}/{p}" for s, p in running)


async def test_replaying_every_topic_into_every_consumer_changes_no_state(services, workload, admin_env):
    before = {name: await database_state(service) for name, service in services.items()}
    replayed = []
    for service_name, entry in SERVICES.items():
        runtime = entry.build("postgresql://unused/x", "unused:9092", "")
        topics = {t for consumer in runtime.consumers for t in consumer.topics_with_prefix("")}
        # No topic named: every topic the service consumes under the stack's policy (reserving at
        # checkout, inventory consumes CartCheckedOut too), a line each: "N messages read, ...  TOPIC".
        out = await run_admin(admin_env, "replay", "--to", service_name, "--from-offset", "0")
        rows = [row.rsplit(maxsplit=1) for row in out.splitlines() if row.strip()]
        lines = {topic: line for line, topic in rows}
        assert topics <= set(lines), out
        replayed += [(topic, service_name, int(line.split()[0])) for topic, line in lines.items()]
    counts = {(topic, service): read for topic, service, read in replayed}
    since_start = await run_admin(
        admin_env,
        "replay",
        "CartCheckedOut",
        "OrderShipped",
        "--to",
        "order",
        "--from-time",
        workload["started"],
        "--dry-run",
        "--json",
    )
    dry = [json.loads(line) for line in since_start.splitlines()]  # JSON Lines: an object per topic
    assert [(d["topic"], d["messages"], d["would_apply"]) for d in dry] == [
        ("CartCheckedOut", counts["CartCheckedOut", "order"], 0),
        ("OrderShipped", counts["OrderShipped", "order"], 0),
    ], since_start
    later = datetime.now(UTC).isoformat()
    assert (
        await run_admin(admin_env, "replay", "OrderShipped", "--to", "inventory", "--from-time", later)
    ).startswith("0 messages read")
    for name, service in services.items():
        after = await database_state(service)
        changed = [table for table in before[name] if after.get(table) != before[name][table]]
        assert not changed, f"replay changed {name}: {changed}"
    consumed = {(topic, service) for topic, service, read in replayed if read > 0}
    # The workload put messages on every topic a service consumes (ProductPublished comes only
    # from other systems and StockLevelChanged reaches the cart: both are in the catalogue).
    assert len(replayed) >= 15 and len(consumed) >= 12, replayed


async def test_streams_show_tells_the_seeds_whole_flow_for_one_order(workload, admin_env):
    order_id = workload["shipped"]["id"]
    story = await run_admin(admin_env, "streams", "show", order_id)
    lines = [line for line in story.splitlines() if line.strip() and not line.endswith(" events")]
    services_seen = {line.split()[1] for line in lines}
    assert services_seen == {"cart", "order", "payment", "inventory", "fulfillment"}, story
    flow = [
        "CartCheckedOut",  # 3. checkout: the cart becomes an order (reserving: stock allocated now)
        "OrderStockAllocated",  # allocating at payment: on the payment's request, before authorising
        "TransactionAuthorized",  # 4. payment: inventory confirmed the allocation first
        "TransactionCaptured",  # 5. capture: the order completes
        "OrderCompleted",
        "FulfilmentRequested",  # 6. shipping: fulfilled, stock leaves
        "ShipmentDispatched",
        "OrderStockShipped",  # allocated and total go down
    ]
    assert " OrderPlaced " in story and " OrderStockAllocated " in story, story
    positions = []
    for event_type in flow:
        found = [i for i, line in enumerate(lines) if f" {event_type} " in f"{line} "]
        assert found, f"{event_type} missing from:\n{story}"
        positions.append(found[0])
    assert positions == sorted(positions), story
    # The order service places the order from CartCheckedOut while inventory and payment act on the
    # same event, so OrderPlaced may come before or after the payment: only its own stream orders it.
    placed = next(i for i, line in enumerate(lines) if " OrderPlaced " in f"{line} ")
    assert positions[0] < placed < positions[flow.index("OrderCompleted")], story
