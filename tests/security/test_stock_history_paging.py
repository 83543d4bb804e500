"""A product's stock history is answered a page at a time, to any token (issue 22, point 7, L3).

`GET /v2/inventories/{id}/transactions` read and decoded the product's whole stock stream on every
call, for any token: every order makes the history longer, so every read cost more, and a client
could ask for it in a loop. Now one page (EP's `page[limit]`, 25 unless asked, at most 100) and its
count are read in one statement, and a page larger than that, or past the last offset allowed, is
refused with EP's 400.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from shared.http.paging import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency

HISTORY = MAX_LIMIT + 20
"""Stock transactions of the product read: more than the largest page."""
ATTEMPTS = 20
"""Rounds of the attack (one refused oversized page and one largest page each) while a read is timed."""


async def _stock_with_history(inventory: Any, admin_token: str, transactions: int) -> str:
    """A product id whose stock has `transactions` entries in its history (set, then increments)."""
    product = str(uuid4())
    async with client(inventory, admin_token) as admin:
        created = await admin.post(f"/v2/inventories/{product}", json={"data": {"quantity": 1}})
        assert created.status_code == 201, created.text
        increment = {"data": {"type": "stock-transaction", "action": "increment", "quantity": 1}}
        for _ in range(transactions - 1):
            moved = await admin.post(f"/v2/inventories/{product}/transactions", json=increment)
            assert moved.status_code == 200, moved.text
    return product


async def test_a_long_stock_history_is_answered_a_page_at_a_time(services, admin_token, shopper_token):
    inventory = services["inventory"]
    product = await _stock_with_history(inventory, admin_token, HISTORY)
    unrelated = await _stock_with_history(inventory, admin_token, 1)
    history = f"/v2/inventories/{product}/transactions"
    oversized = f"{history}?page[limit]={HISTORY * 1000}"
    async with client(inventory, shopper_token) as attacker, client(inventory, shopper_token) as reader:
        asked_for_all = (await attacker.get(history)).json()
        assert len(asked_for_all["data"]) == DEFAULT_LIMIT, asked_for_all["meta"]
        assert asked_for_all["meta"]["results"]["total"] == HISTORY
        last = (await attacker.get(f"{history}?page[limit]={MAX_LIMIT}&page[offset]={MAX_LIMIT}")).json()
        assert len(last["data"]) == HISTORY - MAX_LIMIT  # every transaction is still reachable
        for parameter, refused in [
            ("page[limit]", oversized),
            ("page[limit]", f"{history}?page[limit]=0"),
            ("page[offset]", f"{history}?page[offset]={MAX_OFFSET + 1}"),
        ]:
            assert assert_ep_error(await attacker.get(refused), 400)["source"] == parameter

        async def read() -> None:  # another product's stock, unrelated to the attack
            answer = await reader.get(f"/v2/inventories/{unrelated}")
            assert answer.status_code == 200, answer.text

        async def attack() -> list[tuple[httpx.Response, httpx.Response]]:
            largest = f"{history}?page[limit]={MAX_LIMIT}"
            return [(await attacker.get(oversized), await attacker.get(largest)) for _ in range(ATTEMPTS)]

        usual = await usual_latency(read)
        answers, during = await latencies_during(attack(), read)
    for refused, page in answers:
        assert_ep_error(refused, 400)
        assert page.status_code == 200 and len(page.json()["data"]) == MAX_LIMIT, page.text[:300]
    assert_stayed_responsive(usual, during)
