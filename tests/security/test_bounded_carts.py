"""One request cannot make a cart unusable or stall the cart service (issue 22, point 2).

The attack: `PUT /v2/carts/{ref}/items` naming one item 16,000 times (984 KB) appended 16,000
events, after which every read of the cart folded them all, and five such requests stalled unrelated
reads for seconds; a megabyte of `custom_inputs` was stored as it came. Now every list and free-form
object is bounded (services/cart/adapters/http/limits.py: Elastic Path's 100 items per cart and 255
characters per custom input text, and the limits docs/decisions.md lists where Elastic Path sets none): a
request beyond them is a 400 in Elastic Path's shape and writes nothing. A cart changed for ever
loads from a snapshot and fewer than `Cart.snapshot_every` events, however long its history.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import orjson
import pytest

from services.cart.domain.cart import Cart
from tests.security.attacker import Request, attacker
from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.responsiveness import Read, assert_stayed_responsive, latencies_during, usual_latency
from tests.security.shoppers import create_product

ATTACKERS = 5
"""Concurrent attack requests, each on a cart of its own (as in the issue's probe)."""
READS_PER_CART = 4
"""`GET`s of each attacked cart after the attack: each once folded all the events the attack wrote."""
LINES = 100
"""Lines of the long-lived cart: as many as a cart may hold."""
LONG_HISTORY_ROUNDS = 40
"""Bulk updates of every line of the long-lived cart: about 4,000 events in all."""


@pytest.fixture(scope="module")
async def product(services, admin_token) -> dict[str, Any]:
    return await create_product(services["cart"], admin_token)


@pytest.fixture
async def cart_db(services) -> Any:
    conn = await asyncpg.connect(services["cart"].env["DATABASE_URL"])
    yield conn
    await conn.close()


async def stream_version(cart_db: asyncpg.Connection, ref: str) -> int:
    version = await cart_db.fetchval("SELECT version FROM streams WHERE stream_id = $1", f"cart-{ref}")
    return int(version or 0)


def unrelated_read(http: httpx.AsyncClient, product_id: str) -> Read:
    """A product read on its own connection (as a storefront's catalogue page would be)."""

    async def read() -> None:
        response = await http.get(f"/v2/products/{product_id}")
        assert response.status_code == 200, response.text

    return read


async def cart_with_one_line(http: httpx.AsyncClient, product_id: str) -> tuple[str, str]:
    ref = uuid4().hex
    added = await http.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product_id, "quantity": 1}}
    )
    assert added.status_code == 201, added.text
    return ref, added.json()["data"][0]["id"]


def attack_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def reads_of(refs: Iterable[str]) -> list[Request]:
    """The attacker's cheap follow-up: every attacked cart read READS_PER_CART times at once."""
    return [("GET", f"/v2/carts/{ref}/items", None) for ref in refs for _ in range(READS_PER_CART)]


async def test_a_bulk_update_naming_16000_items_is_refused_writes_nothing_and_stalls_nothing(
    services, shopper_token, product, cart_db, tmp_path
):
    cart = services["cart"]
    async with client(cart, shopper_token) as http, client(cart, shopper_token) as reader:
        read = unrelated_read(reader, product["id"])
        carts = [await cart_with_one_line(http, product["id"]) for _ in range(ATTACKERS)]
        versions = {ref: await stream_version(cart_db, ref) for ref, _ in carts}
        bodies = [
            orjson.dumps({"data": [{"id": item, "quantity": 1 + i % 2} for i in range(16_000)]})
            for _, item in carts
        ]
        assert all(900_000 < len(body) < 1_048_576 for body in bodies)  # the 984 KB, under the cap
        attack: list[Request] = [
            ("PUT", f"/v2/carts/{ref}/items", body) for (ref, _), body in zip(carts, bodies, strict=True)
        ]
        waves = [attack, reads_of(ref for ref, _ in carts)]
        async with attacker(cart.url, attack_headers(shopper_token), waves, tmp_path) as fire:
            usual = await usual_latency(read)
            (answers, reads), during = await latencies_during(fire(), read)

        assert all(answer.status_code == 200 for answer in reads)

        for answer in answers:
            error = assert_ep_error(answer, 400)
            assert error["source"] == "data" and "100" in error["detail"], error
        for ref, _ in carts:
            assert await stream_version(cart_db, ref) == versions[ref]
            items = await http.get(f"/v2/carts/{ref}/items")
            assert [line["quantity"] for line in items.json()["data"]] == [1]
        assert_stayed_responsive(usual, during)

        # The bound is the cart's: a hundred items at once still work, each named once.
        ref, item = carts[0]
        twice = await http.put(f"/v2/carts/{ref}/items", json={"data": [{"id": item, "quantity": 2}] * 2})
        assert assert_ep_error(twice, 400)["source"] == "data.1.id"
        once = await http.put(f"/v2/carts/{ref}/items", json={"data": [{"id": item, "quantity": 3}]})
        assert once.status_code == 200, once.text
        assert once.json()["data"][0]["quantity"] == 3


def custom_inputs_attacks() -> dict[str, dict[str, Any]]:
    """Custom inputs beyond each bound, by what they break."""
    return {
        "a megabyte of text": {"note": "x" * 1_000_000},
        "16,000 entries": {f"k{i}": "v" for i in range(16_000)},
        "a text of 256 characters": {"front": "x" * 256},
        "a key of 256 characters": {"k" * 256: "x"},
        "21 entries": {f"k{i}": "v" for i in range(21)},
        "21 entries, counting nested ones": {"front": {f"k{i}": "v" for i in range(20)}},
        "four levels": {"a": {"b": {"c": {"d": "x"}}}},
        "a deep list": {"a": [[[["x"]]]]},
    }


async def test_custom_inputs_beyond_the_limits_are_refused_write_nothing_and_stall_nothing(
    services, shopper_token, product, cart_db, tmp_path
):
    cart = services["cart"]
    largest_allowed = {
        "name": {"tshirt_front": "J" * 255, "tshirt_back": "Jane Doe's Dance Academy"},
        **{f"k{i}": i for i in range(17)},
    }
    async with client(cart, shopper_token) as http, client(cart, shopper_token) as reader:
        read = unrelated_read(reader, product["id"])
        ref = uuid4().hex
        added = await http.post(
            f"/v2/carts/{ref}/items",
            json={
                "data": {
                    "type": "cart_item",
                    "id": product["id"],
                    "quantity": 1,
                    "custom_inputs": largest_allowed,
                }
            },
        )
        assert added.status_code == 201, added.text
        assert added.json()["data"][0]["custom_inputs"] == largest_allowed
        version = await stream_version(cart_db, ref)

        valid = {"type": "cart_item", "id": product["id"], "quantity": 1}
        for what, inputs in custom_inputs_attacks().items():
            item = {**valid, "custom_inputs": inputs}
            one = await http.post(f"/v2/carts/{ref}/items", json={"data": item})
            assert assert_ep_error(one, 400)["source"] == "data.custom_inputs", what
            bulk = await http.post(f"/v2/carts/{ref}/items", json={"data": [valid, item]})
            assert assert_ep_error(bulk, 400)["source"] == "data.1.custom_inputs", what
        assert await stream_version(cart_db, ref) == version

        megabyte = orjson.dumps(
            {
                "data": {
                    "type": "cart_item",
                    "id": product["id"],
                    "quantity": 1,
                    "custom_inputs": {"note": "x" * 1_000_000},
                }
            }
        )
        refs = [uuid4().hex for _ in range(ATTACKERS)]
        waves = [[("POST", f"/v2/carts/{ref}/items", megabyte) for ref in refs], reads_of(refs)]
        async with attacker(cart.url, attack_headers(shopper_token), waves, tmp_path) as fire:
            usual = await usual_latency(read)
            (answers, reads), during = await latencies_during(fire(), read)
        assert all(answer.status_code == 200 for answer in reads)
        for answer in answers:
            assert assert_ep_error(answer, 400)["source"] == "data.custom_inputs"
        for ref in refs:
            assert await stream_version(cart_db, ref) == 0
        assert_stayed_responsive(usual, during)


async def test_a_cart_changed_for_ever_loads_from_a_snapshot_and_a_few_events(
    services, shopper_token, product, cart_db
):
    """Every request within the bounds may still append up to 100 events: the cart snapshots its
    state, so a load reads the snapshot and fewer than `Cart.snapshot_every` events after it."""
    cart = services["cart"]
    ref = uuid4().hex
    async with client(cart, shopper_token) as http, client(cart, shopper_token) as reader:
        lines = [
            {"type": "cart_item", "id": product["id"], "quantity": 1, "custom_inputs": {"line": i}}
            for i in range(LINES)
        ]
        added = await http.post(f"/v2/carts/{ref}/items", json={"data": lines})
        assert added.status_code == 201, added.text
        items = [line["id"] for line in added.json()["data"]]
        assert len(items) == LINES

        async def read() -> None:
            answer = await reader.get(f"/v2/carts/{ref}", params={"include": "items"})
            assert answer.status_code == 200, answer.text

        usual = await usual_latency(read)

        async def change_for_ever() -> None:
            for round_ in range(LONG_HISTORY_ROUNDS):
                quantity = 2 + round_ % 2
                update = await http.put(
                    f"/v2/carts/{ref}/items",
                    json={"data": [{"id": item, "quantity": quantity} for item in items]},
                )
                assert update.status_code == 200, update.text

        _, during = await latencies_during(change_for_ever(), read)

        version = await stream_version(cart_db, ref)
        assert version > LONG_HISTORY_ROUNDS * LINES
        snapshot = await cart_db.fetchrow(
            "SELECT version, snapshot_version FROM snapshots WHERE stream_id = $1", f"cart-{ref}"
        )
        assert snapshot is not None, f"a cart of {version} events has no snapshot"
        assert snapshot["snapshot_version"] == Cart.snapshot_version
        assert version - snapshot["version"] < Cart.snapshot_every, (version, snapshot["version"])

        final = await http.get(f"/v2/carts/{ref}/items")
        quantity = 2 + (LONG_HISTORY_ROUNDS - 1) % 2
        assert [(line["id"], line["quantity"], line["custom_inputs"]) for line in final.json()["data"]] == [
            (item, quantity, {"line": i}) for i, item in enumerate(items)
        ]
        assert_stayed_responsive(usual, during)
        assert_stayed_responsive(usual, [await usual_latency(read)])
