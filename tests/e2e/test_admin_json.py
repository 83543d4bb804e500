"""`checkout-admin ... --json` against the five services (real processes, Kafka, Postgres): the JSON
parses and says what the table says, for `projections status` and `streams show` (`offsets show`
and `dlq list`: test_consumer_offsets.py and test_bulk_dead_letters.py)."""

from __future__ import annotations

import json

from checkout_admin.registry import SERVICES
from tests.e2e.operator import run_admin
from tests.e2e.shop import checkout, managed_product, placed_state
from tests.support.polling import poll_until
from tests.support.settling import services_settled


def every_projection() -> set[tuple[str, str]]:
    found = set()
    for name, entry in SERVICES.items():
        runtime = entry.build("postgresql://unused/x", "unused:9092", "")
        found |= {(name, projection.name) for projection in runtime.projection_definitions}
    return found


async def test_streams_show_and_projections_status_say_the_same_in_json_as_in_their_tables(
    api, services, admin_env, kafka_bootstrap_servers, topic_prefix
):
    product = await managed_product(api, 5)
    order = await checkout(api, product, 1)
    await placed_state(api, order["id"])
    await services_settled(kafka_bootstrap_servers, topic_prefix, services.values())

    story = json.loads(await run_admin(admin_env, "streams", "show", order["id"], "--json"))
    table = await run_admin(admin_env, "streams", "show", order["id"])
    assert {"cart", "order"} <= {e["service"] for e in story}, story
    assert any(e["event_type"] == "CartCheckedOut" for e in story), story
    lines = table.splitlines()
    assert lines[-1] == f"{len(story)} events", table
    assert [line.split()[:5] for line in lines[:-1]] == [
        [e["occurred_at"][:23], e["service"], e["stream_id"][:40], str(e["version"]), e["event_type"]]
        for e in story
    ], table

    async def status() -> tuple[list[dict], str, list[dict]]:
        first = json.loads(await run_admin(admin_env, "projections", "status", "--json"))
        shown = await run_admin(admin_env, "projections", "status")
        return first, shown, json.loads(await run_admin(admin_env, "projections", "status", "--json"))

    # Projections follow the log on their own: compare a table read between two equal JSON reads.
    before, shown, after = await poll_until(status, lambda seen: seen[0] == seen[2])
    assert before == after and before, (before, after)
    assert {(row["service"], row["projection"]) for row in before} == every_projection()
    assert [line.split() for line in shown.splitlines()[1:]] == [
        [row["service"], row["projection"], *row["checkpoint"].split(), str(row["behind"])] for row in before
    ], shown
