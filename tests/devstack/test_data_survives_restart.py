"""`make stop` then `make start` brings the shop back as it was; only `make clean` empties it (issue 21,
point 1).

The stack is `python -m devstack start` as `make start` runs it, in a folder of its own (`DEVSTACK_DIR`),
with its own PostgreSQL, Kafka and localstripe (their data is what must survive, so none is shared
with the session) and the cart, order and inventory services behind the gateway. Through the gateway,
with tokens got before the restart: the product, its stock, the order and the order list are there
afterwards, the consumer groups resume from their committed offsets in the same Kafka cluster (same
cluster id, the storage not formatted again), a second checkout still becomes an order, and the logs
were appended to. After `python -m devstack clean` the next start is empty and the old token is refused.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import httpx
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from checkout_platform.storefront.sample import ADDRESS, CUSTOMER
from devstack.ports import free_port
from shared.messaging.kafka_security import kafka_client_options
from shared.settings import DEV_CLIENT_ID, DEV_CLIENT_SECRET
from tests.devstack.exports import ENDPOINTS
from tests.support.commands import environment_without, run_module

SERVICES = "cart,order,inventory"
T = TypeVar("T")


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """`make start`'s environment in a private `DEVSTACK_DIR`: no server given, so the stack starts its
    own, and none of the devstack switches a developer may have exported (a data folder, --fresh)."""
    # Not tmp_path: pytest makes it 0700 for root, and the postgres user must reach its cluster inside.
    folder = Path(tempfile.mkdtemp(prefix="devstack-kept-"))
    folder.chmod(0o755)
    variables = environment_without(*ENDPOINTS, "JWT_SECRET", "ORDER_ID_SECRET") | {
        "DEVSTACK_DIR": str(folder / "home"),
        "DEVSTACK_SERVICES": SERVICES,
        "GATEWAY_PORT": str(free_port()),
    }
    try:
        yield variables
    finally:
        run_module("devstack", "stop", env=variables, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def devstack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = run_module("devstack", *args, env=env)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def start(env: dict[str, str]) -> dict[str, Any]:
    """`python -m devstack start`; the state file it wrote."""
    devstack(env, "start")
    state: dict[str, Any] = json.loads((Path(env["DEVSTACK_DIR"]) / "state.json").read_text())
    return state


def until(read: Callable[[], T], check: Callable[[T], bool], what: str, timeout: float = 60) -> T:
    """`read()` until `check` holds (effects cross Kafka); fail naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    value = read()
    while not check(value) and time.monotonic() < deadline:
        time.sleep(0.2)
        value = read()
    assert check(value), f"{what}: last seen {value!r}"
    return value


def token(gateway: str, *, admin: bool) -> str:
    form = {"grant_type": "implicit", "client_id": DEV_CLIENT_ID}
    if admin:
        form |= {"grant_type": "client_credentials", "client_secret": DEV_CLIENT_SECRET}
    answer = httpx.post(f"{gateway}/oauth/access_token", data=form, timeout=30)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def client(gateway: str, bearer: str) -> httpx.Client:
    return httpx.Client(base_url=gateway, headers={"Authorization": f"Bearer {bearer}"}, timeout=30)


def check_out(shopper: httpx.Client, admin: httpx.Client, product_id: str, quantity: int) -> str:
    """A cart with `quantity` of the product, checked out; the order's id once the order service has it."""
    ref = uuid4().hex
    item = {"data": {"type": "cart_item", "id": product_id, "quantity": quantity}}
    until(
        lambda: shopper.post(f"/v2/carts/{ref}/items", json=item),
        lambda r: r.status_code == 201,
        "the product and its stock reached the cart",
    )
    body = {"data": {"customer": CUSTOMER, "billing_address": ADDRESS}}
    placed = shopper.post(f"/v2/carts/{ref}/checkout", json=body)
    assert placed.status_code == 201, placed.text
    order_id = str(placed.json()["data"]["id"])
    until(
        lambda: admin.get(f"/v2/orders/{order_id}").status_code,
        lambda s: s == 200,
        "the order service has it",
    )
    return order_id


def listed_orders(admin: httpx.Client) -> list[str]:
    """The ids `GET /v2/orders` lists (a projection the order service fills as it follows its log)."""
    answer = admin.get("/v2/orders")
    assert answer.status_code == 200, answer.text
    return [str(order["id"]) for order in answer.json()["data"]]


async def consumer_offsets(bootstrap: str) -> dict[str, dict[TopicPartition, int]]:
    """Every consumer group's committed offsets."""
    kafka = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await kafka.start()
    try:
        groups = [str(group[0]) for group in await kafka.list_consumer_groups()]
        found = {}
        for group in groups:
            offsets = await kafka.list_consumer_group_offsets(group)
            found[group] = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
        return found
    finally:
        await kafka.close()


def committed(bootstrap: str) -> dict[str, dict[TopicPartition, int]]:
    return asyncio.run(consumer_offsets(bootstrap))


def cluster_id(env: dict[str, str]) -> str:
    meta = Path(env["DEVSTACK_DIR"]) / "data" / "kafka" / "broker-1" / "data" / "meta.properties"
    return next(
        line.split("=", 1)[1] for line in meta.read_text().splitlines() if line.startswith("cluster.id=")
    )


def runs_logged(env: dict[str, str], process: str) -> int:
    """How many starts the process's log records (each run appends a `==> devstack` line)."""
    return (Path(env["DEVSTACK_DIR"]) / "logs" / f"{process}.log").read_text().count("==> devstack ")


def test_the_shop_survives_stop_and_start_and_only_clean_empties_it(env: dict[str, str]) -> None:
    gateway = start(env)["env"]["EP_URL"]
    admin_token, shopper_token = token(gateway, admin=True), token(gateway, admin=False)
    with client(gateway, admin_token) as admin, client(gateway, shopper_token) as shopper:
        sku = f"kept-{uuid4().hex[:8]}"
        product = {
            "type": "product",
            "name": "Kept Shoe",
            "sku": sku,
            "manage_stock": True,
            "price": [{"amount": 5000, "currency": "USD", "includes_tax": False}],
        }
        created = admin.post("/v2/products", json={"data": product})
        assert created.status_code == 201, created.text
        product_id = created.json()["data"]["id"]
        stocked = admin.post(f"/v2/inventories/{product_id}", json={"data": {"quantity": 10}})
        assert stocked.status_code == 201, stocked.text
        first_order = check_out(shopper, admin, product_id, 2)
        until(lambda: listed_orders(admin), lambda ids: ids == [first_order], "the order list has the order")
    endpoints = start(env)["env"]  # already running: only the endpoints
    bootstrap = endpoints["KAFKA_BOOTSTRAP_SERVERS"]
    offsets_before, cluster_before = committed(bootstrap), cluster_id(env)
    assert any(offsets_before.values()), offsets_before  # the services' consumers committed

    devstack(env, "stop")
    state = start(env)

    assert cluster_id(env) == cluster_before  # the same log, not formatted again
    for server in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "STRIPE_API_BASE"):
        # given back though the last run's connections left the ports in TIME_WAIT
        assert state["env"][server] == endpoints[server], server
    offsets_after = committed(state["env"]["KAFKA_BOOTSTRAP_SERVERS"])
    for group, offsets in offsets_before.items():
        assert group in offsets_after, f"consumer group {group} is gone"
        for partition, offset in offsets.items():
            assert offsets_after[group].get(partition, -1) >= offset, (group, partition, offsets_after[group])
    with client(gateway, admin_token) as admin, client(gateway, shopper_token) as shopper:
        kept = admin.get(f"/v2/products/{product_id}")
        assert kept.status_code == 200, kept.text
        assert kept.json()["data"]["sku"] == sku
        stock = admin.get(f"/v2/inventories/{product_id}")
        assert stock.status_code == 200, stock.text
        assert stock.json()["data"]["total"] == 10
        order = admin.get(f"/v2/orders/{first_order}")
        assert order.status_code == 200, order.text
        assert order.json()["data"]["id"] == first_order
        assert listed_orders(admin) == [first_order]  # the list (a projection) is kept too, not rebuilt
        # The restarted services still talk through Kafka: a new checkout becomes a new order.
        second_order = check_out(shopper, admin, product_id, 1)
        both = until(lambda: listed_orders(admin), lambda ids: len(ids) >= 2, "the list has the new order")
        assert sorted(both) == sorted([first_order, second_order])
    assert runs_logged(env, "cart") == 2 and runs_logged(env, "postgres") == 2

    devstack(env, "stop")
    cleaned = devstack(env, "clean")
    assert f"deleting {Path(env['DEVSTACK_DIR']) / 'data'}" in cleaned.stdout, cleaned.stdout
    start(env)

    assert cluster_id(env) != cluster_before
    with client(gateway, admin_token) as stale:
        assert stale.get(f"/v2/products/{product_id}").status_code == 401  # new secrets: old tokens void
    with client(gateway, token(gateway, admin=True)) as admin:
        gone = admin.get(f"/v2/products/{product_id}")
        assert gone.status_code == 404, gone.text
        assert listed_orders(admin) == []
