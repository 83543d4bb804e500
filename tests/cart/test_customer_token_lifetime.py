"""Customer tokens keep Elastic Path's lifetime: `expires` in the token answer is 24 hours on
(epoch seconds, the JWT's own `exp`), and a token past it is refused with a 401 that says so.
The refusal is proven on a cart service whose tokens live 10 s (CUSTOMER_TOKEN_TTL_SECONDS), after
the token's own `expires` has passed on the clock."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from tests.cart.registered_customers import registered
from tests.support.services import RunningService, authenticated_client, start_service

EP_LIFETIME = 24 * 60 * 60


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


async def test_the_token_answer_expires_24_hours_on_as_its_jwt_says(shopper):
    before = int(time.time())
    leslie = await registered(shopper)
    answer = await shopper.post(
        "/v2/customers/tokens",
        json={"data": {"type": "token", "email": leslie.email, "password": "correct-horse-1"}},
    )
    after = int(time.time())
    data = answer.json()["data"]
    assert isinstance(data["expires"], int)
    assert before + EP_LIFETIME <= data["expires"] <= after + EP_LIFETIME
    assert claims(data["token"])["exp"] == data["expires"]


@pytest.fixture(scope="module")
async def short_lived_cart(
    postgres, kafka_bootstrap_servers: str, topic_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningService]:
    database = f"cart_{uuid4().hex[:10]}"
    await postgres.create_database(database)
    service = await start_service(
        "services.cart",
        {
            "DATABASE_URL": postgres.dsn(database),
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
            "TOPIC_PREFIX": topic_prefix,
            "CUSTOMER_TOKEN_TTL_SECONDS": "10",
        },
        Path(tmp_path_factory.mktemp("short-lived-cart")),
    )
    yield service
    service.stop()


async def test_an_expired_customer_token_is_refused(short_lived_cart):
    client: httpx.AsyncClient = await authenticated_client(short_lived_cart.url, admin=False)
    try:
        ron = await registered(client, "Ron Swanson")
        expires = int(claims(ron.token)["exp"])  # type: ignore[call-overload]
        assert (await client.get(f"/v2/customers/{ron.id}", headers=ron.headers)).status_code == 200
        await asyncio.sleep(max(0.0, expires - time.time()) + 1.1)  # until the clock is past `expires`
        refused = await client.get(f"/v2/customers/{ron.id}", headers=ron.headers)
        assert refused.status_code == 401, refused.text
        error = refused.json()["errors"][0]
        assert error["status"] == 401 and "expired" in error["detail"]
        addresses = await client.get(f"/v2/customers/{ron.id}/addresses", headers=ron.headers)
        assert addresses.status_code == 401
    finally:
        await client.aclose()
