"""`checkout-admin offsets` against a live cart and order service (real processes, Kafka, Postgres):
a stopped consumer whose group is reset to a time between two batches of checkouts consumes again
exactly the second batch, every message a no-op; the reset is refused while the group has members."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest

from tests.cart.conftest import create_product
from tests.e2e.operator import admin_environment, admin_result, run_admin
from tests.e2e.quiescence import database_state
from tests.e2e.shop import as_storefront
from tests.support.polling import poll_until
from tests.support.services import authenticated_client
from tests.support.settling import services_settled

FIRST_BATCH = 3
SECOND_BATCH = 4


@pytest.fixture(scope="module")
async def clients(cart_service, order_service):
    cart_admin = await authenticated_client(cart_service.url, admin=True)
    shopper = await authenticated_client(cart_service.url, admin=False)
    orders = await authenticated_client(order_service.url, admin=True)
    yield cart_admin, shopper, orders
    for client in (cart_admin, shopper, orders):
        await client.aclose()


@pytest.fixture(scope="module")
def admin_env(cart_service, order_service, kafka_bootstrap_servers, topic_prefix):
    return admin_environment(
        {"cart": cart_service, "order": order_service}, kafka_bootstrap_servers, topic_prefix
    )


async def checkouts(clients, count: int) -> list[str]:
    """`count` checkouts, each consumed by the order service; their order ids."""
    cart_admin, shopper, orders = clients
    placed = []
    for _ in range(count):
        product = await create_product(cart_admin, amount=2500)
        ref, storefront = uuid4().hex, as_storefront(shopper)
        await storefront.add_item(ref, product["id"])  # each step fails the test unless it answers 201
        checked_out = await storefront.check_out(ref, {"name": "Leslie Knope", "email": "leslie@example.com"})
        placed.append(checked_out.json()["data"]["id"])
    for order_id in placed:
        answer = await poll_until(
            lambda o=order_id: orders.get(f"/v2/orders/{o}"), lambda r: r.status_code == 200
        )
        assert answer.status_code == 200, answer.text
    return placed


async def consumed(service_url: str, consumer: str) -> dict[str, float]:
    """The service's `consumer_messages_total` for one consumer, by outcome (counted since it started)."""
    async with httpx.AsyncClient(base_url=service_url) as client:
        text = (await client.get("/metrics")).text
    found: dict[str, float] = {}
    pattern = re.compile(r"^consumer_messages_total\{([^}]*)\} (\S+)$")
    for line in text.splitlines():
        match = pattern.match(line)
        if not match:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if labels.get("consumer") == consumer:
            found[labels["outcome"]] = found.get(labels["outcome"], 0) + float(match.group(2))
    return found


async def group(env: dict[str, str]) -> dict:
    return json.loads(await run_admin(env, "offsets", "show", "order", "--json"))


async def reset_checkouts(env: dict[str, str], moment: datetime, *flags: str) -> dict:
    """`offsets reset order --to <moment> --topic CartCheckedOut --json`, with `flags` (`--dry-run`)."""
    args = ("offsets", "reset", "order", "--to", moment.isoformat(), "--topic", "CartCheckedOut", "--json")
    return json.loads(await run_admin(env, *args, *flags))


async def test_a_reset_to_a_time_makes_the_stopped_consumer_apply_again_exactly_what_followed_as_no_ops(
    clients, cart_service, order_service, admin_env, kafka_bootstrap_servers, topic_prefix
):
    services = [cart_service, order_service]
    await checkouts(clients, FIRST_BATCH)
    await services_settled(kafka_bootstrap_servers, topic_prefix, services)
    moment = datetime.now(UTC) + timedelta(milliseconds=5)
    await asyncio.sleep(0.05)  # the second batch's messages are stamped after the moment
    await checkouts(clients, SECOND_BATCH)
    await services_settled(kafka_bootstrap_servers, topic_prefix, services)

    shown = await group(admin_env)
    assert shown["group"] == f"{topic_prefix}order" and shown["live"] is True, shown
    checked_out = [p for p in shown["partitions"] if p["topic"] == f"{topic_prefix}CartCheckedOut"]
    assert sum(p["end"] for p in checked_out) >= FIRST_BATCH + SECOND_BATCH
    assert all(p["lag"] == 0 for p in shown["partitions"]), shown
    table = await run_admin(admin_env, "offsets", "show", "order")
    assert "live member(s)" in table, table
    table_rows = [line.split() for line in table.splitlines()[2:-1]]  # after the group, the heading
    json_rows = [
        [
            p["topic"],
            str(p["partition"]),
            *([] if p["committed"] is None else [str(p["committed"])]),
            str(p["end"]),
            str(p["lag"]),
        ]
        for p in shown["partitions"]
    ]
    assert table_rows == json_rows, table

    # While the service runs, its group has a member: refused, with one line saying why.
    code, out, err = await admin_result(
        admin_env, "offsets", "reset", "order", "--to", moment.isoformat(), "--topic", "CartCheckedOut"
    )
    assert code != 0 and "live member" in err and "--force" in err and len(err.strip().splitlines()) == 1, (
        code,
        out,
        err,
    )
    forced = await run_admin(
        admin_env, "offsets", "reset", "order", "--to", "earliest", "--force", "--dry-run"
    )  # --force passes our check; a dry run shows the plan
    assert f"would reset {topic_prefix}order" in forced, forced
    assert await group(admin_env) == shown

    before = await database_state(order_service)
    order_service.stop()
    stopped = await poll_until(lambda: group(admin_env), lambda g: g["live"] is False)
    assert stopped["live"] is False, stopped

    dry = await reset_checkouts(admin_env, moment, "--dry-run")
    ends = {(p["topic"], p["partition"]): p["end"] for p in checked_out}
    assert sum(ends[(p["topic"], p["partition"])] - p["planned"] for p in dry["offsets"]) == SECOND_BATCH, dry
    assert (await group(admin_env))["partitions"] == shown["partitions"]  # a dry run changes nothing

    done = await reset_checkouts(admin_env, moment)
    assert done["offsets"] == dry["offsets"] and done["dry_run"] is False, (done, dry)
    committed = {(p["topic"], p["partition"]): p["committed"] for p in (await group(admin_env))["partitions"]}
    assert all(committed[(p["topic"], p["partition"])] == p["planned"] for p in dry["offsets"])

    await order_service.restart()
    # The positive marker: the restarted consumer has handled the whole second batch again.
    counts = await poll_until(
        lambda: consumed(order_service.url, "order"), lambda c: c.get("duplicate", 0) >= SECOND_BATCH
    )
    await services_settled(kafka_bootstrap_servers, topic_prefix, services)
    counts = await consumed(order_service.url, "order")
    assert counts.get("duplicate", 0) == SECOND_BATCH, counts
    assert counts.get("applied", 0) == 0 and counts.get("dead_lettered", 0) == 0, counts
    assert await database_state(order_service) == before
