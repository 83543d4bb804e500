"""`checkout-admin replay --order` against a live cart, order and fulfilment service (real processes,
Kafka, PostgreSQL): the fulfilment service loses two orders (their shipment streams and inbox rows
deleted, as a restore from an older backup would lose them); replaying one of them, from the order
service's `outbox_history` or from Kafka, gives back exactly that order's shipment (its events in
their first order, its inbox rows) and changes nothing else, the other order still lost; `--dry-run`
counts and changes nothing; an order already applied is replayed as no-ops, no table changed.

What fulfilment learns of an unpaid order is its shipping address corrections (`OrderUpdated`): the
chosen order is corrected twice, and its second correction, the newer, wins only if the replay keeps
their first order; the other order once."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest

from tests.e2e.operator import admin_environment, run_admin
from tests.e2e.quiescence import database_state
from tests.e2e.test_order_corrections import NEW_ADDRESS, correction
from tests.e2e.test_shipping import placed_order
from tests.support.databases import rows_of
from tests.support.services import RunningService
from tests.support.settling import consumer_groups, services_settled

pytestmark = pytest.mark.slow

State = dict[str, list[tuple[Any, ...]]]
SECOND_ADDRESS = {**NEW_ADDRESS, "line_1": "3 Second Correction St"}


@pytest.fixture(scope="module")
def services(cart_service, order_service, fulfillment_service) -> dict[str, RunningService]:
    return {"cart": cart_service, "order": order_service, "fulfillment": fulfillment_service}


@pytest.fixture(scope="module")
def admin_env(services, kafka_bootstrap_servers, topic_prefix) -> dict[str, str]:
    return admin_environment(services, kafka_bootstrap_servers, topic_prefix)


@pytest.fixture(scope="module")
async def orders(cart_and_order_clients, services, kafka_bootstrap_servers, topic_prefix) -> dict[str, str]:
    """Two orders checked out, the first's shipping address corrected twice and the other's once
    (`OrderUpdated`), every message consumed: then a quiet stack."""
    cart_admin, cart_shopper, order_admin, _ = cart_and_order_clients
    corrected = await placed_order(cart_admin, cart_shopper)
    other = await placed_order(cart_admin, cart_shopper)
    for order_id, address in (
        (corrected["id"], NEW_ADDRESS),
        (corrected["id"], SECOND_ADDRESS),
        (other["id"], NEW_ADDRESS),
    ):
        answer = await order_admin.put(f"/v2/orders/{order_id}", json=correction(shipping_address=address))
        assert answer.status_code == 200, answer.text
    await services_settled(kafka_bootstrap_servers, topic_prefix, services.values())
    return {"corrected": corrected["id"], "other": other["id"]}


async def messages_to_fulfilment(order: RunningService, order_id: str, topic_prefix: str) -> dict[Any, str]:
    """The event id and topic of each message the order service published for `order_id` on the
    topics fulfilment consumes."""
    [topics] = consumer_groups("fulfillment", topic_prefix).values()
    rows = await rows_of(
        order.env["DATABASE_URL"],
        "SELECT event_id, topic FROM outbox_history WHERE key = $1 AND topic = ANY($2::text[])",
        order_id,
        topics,
    )
    return {row["event_id"]: row["topic"] for row in rows}


async def shipment(fulfillment: RunningService, order_id: str, ids: dict[Any, str]) -> dict[str, Any]:
    """What fulfilment holds of one order: its shipment's events (version, type and data, but for
    the time each was applied) and its consumer's inbox rows of the order's messages."""
    dsn = fulfillment.env["DATABASE_URL"]
    events = await rows_of(
        dsn,
        "SELECT version, event_type, data::text AS data FROM events WHERE stream_id = $1 ORDER BY version",
        f"shipment-{order_id}",
    )
    inbox = await rows_of(
        dsn,
        "SELECT event_id, topic FROM inbox WHERE consumer = 'fulfillment' AND event_id = ANY($1::uuid[])",
        list(ids),
    )
    without_time = [
        (e["version"], e["event_type"], {k: v for k, v in json.loads(e["data"]).items() if k != "at"})
        for e in events
    ]
    return {"events": without_time, "inbox": {(r["event_id"], r["topic"]) for r in inbox}}


async def lose(fulfillment: RunningService, order_id: str, ids: dict[Any, str]) -> None:
    """Delete what fulfilment holds of the order, as if it had never received its messages."""
    stream = f"shipment-{order_id}"
    conn = await asyncpg.connect(fulfillment.env["DATABASE_URL"])
    try:
        async with conn.transaction():
            await conn.execute(
                "DELETE FROM inbox WHERE consumer = 'fulfillment' AND event_id = ANY($1::uuid[])", list(ids)
            )
            for table in ("events", "streams", "snapshots"):
                await conn.execute(f"DELETE FROM {table} WHERE stream_id = $1", stream)  # noqa: S608
    finally:
        await conn.close()


def apart_from(state: State, order_id: str, ids: dict[Any, str]) -> State:
    """The state without the rows of one order: its shipment stream's and its messages' inbox rows."""
    marks = {f"shipment-{order_id}", *ids}
    return {
        table: [row for row in rows if not any(value == mark for value in row for mark in marks)]
        for table, rows in state.items()
    }


async def replay_order(env: dict[str, str], order_id: str, service: str, *flags: str) -> dict[str, Any]:
    """`replay --order <order_id> --to <service> <flags> --json`, its answer."""
    answer: dict[str, Any] = json.loads(
        await run_admin(env, "replay", "--order", order_id, "--to", service, *flags, "--json")
    )
    return answer


def per_topic(answer: dict[str, Any], prefix: str) -> dict[str, tuple[int, int, int]]:
    """Messages, already applied and applied per topic (without the prefix), topics with messages only."""
    return {
        row["topic"].removeprefix(prefix): (row["messages"], row["already_applied"], row["applied"])
        for row in answer["topics"]
        if row["messages"]
    }


@pytest.mark.parametrize("source", ["store", "kafka"])
async def test_one_lost_order_is_replayed_alone_and_the_other_stays_lost(
    source, orders, services, admin_env, topic_prefix
):
    fulfillment, order = services["fulfillment"], services["order"]
    lost_ids = {o: await messages_to_fulfilment(order, o, topic_prefix) for o in orders.values()}
    chosen, other = orders["corrected"], orders["other"]
    assert sorted(lost_ids[chosen].values()) == [f"{topic_prefix}OrderUpdated"] * 2
    assert sorted(lost_ids[other].values()) == [f"{topic_prefix}OrderUpdated"]
    held = {o: await shipment(fulfillment, o, lost_ids[o]) for o in orders.values()}
    assert [e[1] for e in held[chosen]["events"]] == ["ShipmentAddressCorrected"] * 2
    assert [e[2]["shipping_address"]["line_1"] for e in held[chosen]["events"]] == [
        NEW_ADDRESS["line_1"],
        SECOND_ADDRESS["line_1"],
    ]
    assert len(held[chosen]["inbox"]) == 2 and len(held[other]["inbox"]) == 1, held

    before = await database_state(fulfillment)
    for order_id in orders.values():
        await lose(fulfillment, order_id, lost_ids[order_id])
    lost = await database_state(fulfillment)
    nothing = {"events": [], "inbox": set()}
    assert all([await shipment(fulfillment, o, lost_ids[o]) == nothing for o in orders.values()])
    assert apart_from(apart_from(before, chosen, lost_ids[chosen]), other, lost_ids[other]) == lost

    dry = await replay_order(admin_env, chosen, "fulfillment", "--from", source, "--dry-run")
    assert (dry["dry_run"], dry["source"], dry["messages"], dry["already_applied"], dry["applied"]) == (
        True,
        source,
        2,
        0,
        0,
    ), dry
    assert per_topic(dry, topic_prefix) == {"OrderUpdated": (2, 0, 0)}, dry
    # The command printed its counts once it had read everything: then, nothing was written.
    assert await database_state(fulfillment) == lost

    done = await replay_order(admin_env, chosen, "fulfillment", "--from", source)
    assert (done["dry_run"], done["messages"], done["already_applied"], done["applied"]) == (False, 2, 0, 2)
    assert per_topic(done, topic_prefix) == {"OrderUpdated": (2, 0, 2)}, done
    # The chosen order's shipment is back as it was, its events in their first order; the other
    # order is still lost, and no other row of any table changed.
    assert await shipment(fulfillment, chosen, lost_ids[chosen]) == held[chosen]
    assert await shipment(fulfillment, other, lost_ids[other]) == nothing
    assert apart_from(await database_state(fulfillment), chosen, lost_ids[chosen]) == lost

    again = await replay_order(admin_env, other, "fulfillment", "--from", source)
    assert (again["messages"], again["already_applied"], again["applied"]) == (1, 0, 1), again
    assert await shipment(fulfillment, other, lost_ids[other]) == held[other]


async def test_an_order_already_applied_is_replayed_as_no_ops_from_either_source(
    orders, services, admin_env, topic_prefix
):
    chosen = orders["corrected"]
    before = {name: await database_state(services[name]) for name in ("order", "fulfillment")}
    for source in ("store", "kafka"):
        shipped = await replay_order(admin_env, chosen, "fulfillment", "--from", source)
        assert (shipped["messages"], shipped["already_applied"], shipped["applied"]) == (2, 2, 0), shipped
        assert per_topic(shipped, topic_prefix) == {"OrderUpdated": (2, 2, 0)}
        # The cart's checkout (keyed by the order it became), from the cart's store or from Kafka;
        # one topic named, as payment and inventory, the producers of others, do not run here.
        ordered = await replay_order(admin_env, chosen, "order", "CartCheckedOut", "--from", source)
        assert ordered["messages"] == 1 and per_topic(ordered, topic_prefix) == {"CartCheckedOut": (1, 1, 0)}

    answer = await replay_order(admin_env, chosen, "fulfillment", "OrderUpdated")
    assert answer["source"] == "kafka" and [row["topic"] for row in answer["topics"]] == [
        f"{topic_prefix}OrderUpdated"
    ]
    assert (answer["messages"], answer["already_applied"]) == (2, 2), answer
    table = await run_admin(admin_env, "replay", "--order", chosen, "--to", "fulfillment", "OrderUpdated")
    lines = table.splitlines()
    assert lines[0].split() == ["topic", "messages", "already_applied", "applied"], table
    assert [lines[1].split()] == [[str(value) for value in row.values()] for row in answer["topics"]], table
    assert lines[1].split() == [f"{topic_prefix}OrderUpdated", "2", "2", "0"], table
    assert lines[2].startswith(f"order {chosen} into fulfillment from kafka: 2 messages, 2 already applied")
    assert len(lines) == 3, table

    # Each command ran to its end before it printed: then, no table of either service had changed.
    for name, state in before.items():
        assert await database_state(services[name]) == state, name
