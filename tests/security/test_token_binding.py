"""Tokens belong to one deployment and one client, and credentials are never cached (issue 22, L6, L7).

A token signed with the right secret but issued to another client id, or for another deployment
sharing the secret (its TOKEN_AUDIENCE), was accepted; so was every token after CLIENT_ID rotated.
And the customer-token answer, a credential, could be kept by a cache (no `Cache-Control`).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from uuid import uuid4

import httpx
import pytest

from shared.auth import issue_customer_token, issue_token
from shared.settings import ServiceSettings
from tests.security import canaries
from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency

ROUNDS = 10
"""Times the refused token is sent to every service (40 requests) while an unrelated read is timed."""

READS = {
    "cart": "/v2/products",
    "order": "/v2/orders",
    "payment": f"/v2/orders/{uuid4()}/transactions",
    "inventory": "/v2/inventories",
}


def _signed_elsewhere(**differences: str) -> ServiceSettings:
    """A deployment sharing the suite's JWT secret but not its client or audience."""
    values = {"jwt_secret": canaries.JWT_SECRET, "client_id": canaries.CLIENT_ID, **differences}
    return ServiceSettings.model_validate(values)


@pytest.mark.parametrize(
    ("why", "token"),
    [
        ("issued to another client", issue_token("client_credentials", "other-client", canaries.settings())),
        (
            "another deployment",
            issue_token(
                "client_credentials", canaries.CLIENT_ID, _signed_elsewhere(token_audience="staging")
            ),
        ),
        (
            "before CLIENT_ID rotated",
            issue_token("client_credentials", "old-client", _signed_elsewhere(client_id="old-client")),
        ),
    ],
)
async def test_an_admin_token_of_another_client_or_deployment_is_refused(services, admin_token, why, token):
    async with AsyncExitStack() as stack:
        forged = {
            name: await stack.enter_async_context(client(services[name], token["access_token"]))
            for name in READS
        }
        reader = await stack.enter_async_context(client(services["cart"], admin_token))

        async def read() -> None:  # the genuine admin's read, unrelated to the attack
            answer = await reader.get("/v2/customers")
            assert answer.status_code == 200, answer.text

        async def attack() -> list[httpx.Response]:
            return [await forged[name].get(path) for _ in range(ROUNDS) for name, path in READS.items()]

        usual = await usual_latency(read)
        answers, during = await latencies_during(attack(), read)
    for answer in answers:
        assert_ep_error(answer, 401)
    assert_stayed_responsive(usual, during)


async def test_a_customer_token_of_another_deployment_is_refused(services, shopper_token):
    staging, _ = issue_customer_token(str(uuid4()), _signed_elsewhere(token_audience="staging"))
    async with client(services["order"], shopper_token, **{"X-Moltin-Customer-Token": staging}) as http:
        assert_ep_error(await http.get("/v2/orders"), 401)


async def test_the_customer_token_answer_is_never_cached(services, shopper_token):
    email, password = f"cache.{uuid4().hex[:8]}@example.com", uuid4().hex
    async with client(services["cart"], shopper_token) as http:
        created = await http.post(
            "/v2/customers",
            json={"data": {"type": "customer", "name": "Ann", "email": email, "password": password}},
        )
        assert created.status_code == 201, created.text
        issued = await http.post(
            "/v2/customers/tokens", json={"data": {"type": "token", "email": email, "password": password}}
        )
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store" and issued.headers["pragma"] == "no-cache"
