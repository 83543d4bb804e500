"""An order id no checkout can have made is a 404 at once (issue 22, point 7, L4).

Reads and payments wait a little for an order that is not consumed yet (read your writes); any
string was waited for, so `GET /v2/orders/<4,000 characters>` held a request for the whole wait and
looked the string up. Only an id some producer can have made (at most 64 letters, digits, `-`, `_`;
checkout makes UUIDs) is waited for now: a bogus id answers before the wait an unknown UUID must sit
out (both are 404s in EP's shape)."""

from __future__ import annotations

import time
from uuid import uuid4

import httpx
import pytest

from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency

BOGUS = ["x" * 4000, "x" * 65, "an order id with spaces", "ünïcode-id"]
ROUNDS = 10
"""Times every bogus id is asked for at once (40 requests) while an unrelated read is timed."""
UNRELATED = {"order": "/v2/orders?page[limit]=1", "payment": "/v2/gateways"}


async def _timed_404(http, path: str) -> float:
    started = time.monotonic()
    answer = await http.get(path)
    elapsed = time.monotonic() - started
    assert_ep_error(answer, 404)
    return elapsed


@pytest.mark.parametrize(
    ("service", "path"), [("order", "/v2/orders/{}"), ("payment", "/v2/orders/{}/transactions")]
)
async def test_an_id_checkout_cannot_make_is_not_waited_for(services, admin_token, service: str, path: str):
    async with client(services[service], admin_token) as http:
        waited = await _timed_404(http, path.format(uuid4()))  # unknown, but could be a fresh checkout
        for bogus in BOGUS:
            at_once = await _timed_404(http, path.format(bogus))
            assert at_once < waited / 2, (bogus[:40], at_once, waited)

        async def read() -> None:  # the admin's own read of the same service, unrelated to the attack
            answer = await http.get(UNRELATED[service])
            assert answer.status_code == 200, answer.text

        async def attack() -> list[httpx.Response]:
            # one after another: a burst sent at once would queue the read behind all of it
            return [await http.get(path.format(bogus)) for _ in range(ROUNDS) for bogus in BOGUS]

        usual = await usual_latency(read)
        answers, during = await latencies_during(attack(), read)
    for answer in answers:
        assert_ep_error(answer, 404)
    assert_stayed_responsive(usual, during)


async def test_paying_an_order_no_checkout_made_is_a_404_after_the_order_wait(services, shopper_token):
    """A payment for an unknown UUID waits for the checkout it may be (PAYMENT_ORDER_WAIT_SECONDS, 1 s
    here), then answers EP's 404; nothing is recorded for it."""
    order_id = str(uuid4())
    async with client(services["payment"], shopper_token) as http:
        paid = await http.post(
            f"/v2/orders/{order_id}/payments", json={"data": {"gateway": "manual", "method": "authorize"}}
        )
        assert assert_ep_error(paid, 404)["title"] == "Not Found"
        assert_ep_error(await http.get(f"/v2/orders/{order_id}/transactions"), 404)
