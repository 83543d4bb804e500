"""`/v2/gateways` through a real payment service of its own (issue 14: payment gateways as Elastic
Path configures them): listed and read by admins, enabled and disabled, Stripe's key written but
never answered, a disabled gateway refusing payments with nothing recorded, the configuration kept
as events in the service's event store, so it survives a restart whatever the environment says.

A service of its own: disabling a gateway here must not touch the package's shared service.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.payment.bus import Bus
from tests.payment.calls import client_of, error, pay, transactions
from tests.payment.checkouts import check_out
from tests.payment.service import StartsOwnPaymentService
from tests.payment.stripe_api import API_KEY
from tests.support.databases import rows_of
from tests.support.openapi import validate_response
from tests.support.services import RunningService

SPEC = "payments.yaml"
STRIPE = "stripe_payment_intents"
ROTATED_KEY = f"sk_test_rotated_{uuid4().hex}"
REFUSED_KEY = f"rk_refused_{uuid4().hex}"  # localstripe answers 401 to a key not starting sk_


@dataclass
class Lone:
    service: RunningService
    bus: Bus
    database_url: str


@pytest.fixture(scope="module")
async def lone(own_payment_service: StartsOwnPaymentService, localstripe_url: str) -> AsyncIterator[Lone]:
    service = await own_payment_service("paygw", localstripe_url)
    async with Bus(service.env["KAFKA_BOOTSTRAP_SERVERS"], service.env["TOPIC_PREFIX"]) as bus:
        yield Lone(service, bus, service.env["DATABASE_URL"])
    service.stop()


@pytest.fixture
async def admin(lone: Lone) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(lone.service.url, admin=True) as client:
        yield client


@pytest.fixture
async def shopper(lone: Lone) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(lone.service.url, admin=False) as client:
        yield client


async def _put(admin: httpx.AsyncClient, slug: str, **data: Any) -> httpx.Response:
    return await admin.put(f"/v2/gateways/{slug}", json={"data": {"type": "gateway", **data}})


async def _stored(lone: Lone, slug: str) -> list[tuple[str, dict[str, Any]]]:
    """The gateway's stream in the service's event store: (event type, data), oldest first."""
    rows = await rows_of(
        lone.database_url,
        "SELECT event_type, data FROM events WHERE stream_id = $1 ORDER BY version",
        f"gateway-{slug}",
    )
    return [(row["event_type"], json.loads(row["data"])) for row in rows]


def _no_key_in(response: httpx.Response) -> None:
    for key in (API_KEY, ROTATED_KEY, REFUSED_KEY):
        assert key not in response.text, response.text
    data = response.json()["data"]
    for gateway in data if isinstance(data, list) else [data]:
        assert "login" not in gateway, gateway


async def test_the_gateways_as_the_environment_seeded_them(lone: Lone, admin: httpx.AsyncClient) -> None:
    listed = await admin.get("/v2/gateways")

    assert listed.status_code == 200, listed.text
    validate_response(SPEC, "/v2/gateways", "get", "200", listed.json())
    assert listed.json()["data"] == [
        {"type": "gateway", "name": "Manual", "slug": "manual", "enabled": True},
        {"type": "gateway", "name": "Stripe Payment Intents", "slug": STRIPE, "enabled": True},
    ]
    _no_key_in(listed)
    for slug in ("manual", STRIPE):
        one = await admin.get(f"/v2/gateways/{slug}")
        assert one.status_code == 200, one.text
        validate_response(SPEC, "/v2/gateways/{gatewaySlug}", "get", "200", one.json())
        assert one.json()["data"]["slug"] == slug
        _no_key_in(one)
    assert [kind for kind, _ in await _stored(lone, STRIPE)] == ["GatewaySeeded"]
    unknown = await admin.get("/v2/gateways/braintree")
    assert (unknown.status_code, error(unknown)["title"]) == (404, "Not Found"), unknown.text


async def test_only_an_admin_reads_or_changes_a_gateway(shopper: httpx.AsyncClient, lone: Lone) -> None:
    for answer in (
        await shopper.get("/v2/gateways"),
        await shopper.get("/v2/gateways/manual"),
        await _put(shopper, "manual", enabled=False),
    ):
        assert (answer.status_code, error(answer)["title"]) == (403, "Forbidden"), answer.text
    assert [kind for kind, _ in await _stored(lone, "manual")] == ["GatewaySeeded"]


async def test_bad_updates_are_refused(admin: httpx.AsyncClient) -> None:
    cases = [
        ("manual", {"enabled": "yes"}, 400, "data.enabled"),
        ("manual", {"login": "sk_test_x"}, 400, "data.login"),  # the manual gateway has no key
        (STRIPE, {"login": ""}, 400, "data.login"),
        ("braintree", {"enabled": True}, 404, None),
    ]
    for slug, data, status, source in cases:
        answer = await _put(admin, slug, **data)
        assert answer.status_code == status, (slug, data, answer.text)
        assert error(answer).get("source") == source, (slug, data, answer.text)


async def test_a_disabled_gateway_refuses_payments_until_enabled_again(
    lone: Lone, admin: httpx.AsyncClient, shopper: httpx.AsyncClient
) -> None:
    order = await check_out(lone.bus)

    disabled = await _put(admin, "manual", enabled=False)

    assert disabled.status_code == 200, disabled.text
    validate_response(SPEC, "/v2/gateways/manual", "put", "200", disabled.json())
    assert disabled.json()["data"] == {
        "type": "gateway",
        "name": "Manual",
        "slug": "manual",
        "enabled": False,
    }
    refused = await pay(shopper, order.order_id, gateway="manual", method="authorize")
    assert refused.status_code == 400, refused.text
    assert (error(refused)["title"], error(refused)["source"]) == ("Gateway not enabled", "data.gateway")
    assert await transactions(shopper, order.order_id) == []  # nothing recorded
    assert (await admin.get("/v2/gateways/manual")).json()["data"]["enabled"] is False

    enabled = await _put(admin, "manual", enabled=True)

    assert enabled.status_code == 200 and enabled.json()["data"]["enabled"] is True, enabled.text
    paid = await pay(shopper, order.order_id, gateway="manual", method="authorize")
    assert paid.status_code == 200, paid.text
    stored = await _stored(lone, "manual")
    assert [(kind, data["enabled"]) for kind, data in stored] == [
        ("GatewaySeeded", True),
        ("GatewayUpdated", False),
        ("GatewayUpdated", True),
    ]


async def test_stripe_uses_the_key_an_admin_writes_and_never_answers_it(
    lone: Lone, admin: httpx.AsyncClient, shopper: httpx.AsyncClient
) -> None:
    first, second = await check_out(lone.bus), await check_out(lone.bus)

    refused_key = await _put(admin, STRIPE, login=REFUSED_KEY)

    assert refused_key.status_code == 200, refused_key.text
    validate_response(SPEC, "/v2/gateways/stripe_payment_intents", "put", "200", refused_key.json())
    _no_key_in(refused_key)
    declined = await pay(shopper, first.order_id, gateway=STRIPE, method="purchase", payment="pm_card_visa")
    assert declined.status_code == 400, declined.text  # Stripe (localstripe) refused the key
    assert error(declined)["title"] == "Payment gateway processing failed"
    _no_key_in_text(declined)

    rotated = await _put(admin, STRIPE, login=ROTATED_KEY)

    _no_key_in(rotated)
    paid = await pay(shopper, second.order_id, gateway=STRIPE, method="purchase", payment="pm_card_visa")
    assert paid.status_code == 200 and paid.json()["data"]["status"] == "complete", paid.text
    stored = await _stored(lone, STRIPE)
    assert [data["login"] for _, data in stored] == [API_KEY, REFUSED_KEY, ROTATED_KEY]  # kept, as events

    disabled = await _put(admin, STRIPE, enabled=False)  # the key is kept when none is given

    assert disabled.json()["data"]["enabled"] is False, disabled.text
    refused = await pay(shopper, first.order_id, gateway=STRIPE, method="purchase", payment="pm_card_visa")
    assert (refused.status_code, error(refused)["title"]) == (400, "Gateway not enabled"), refused.text
    assert [t["status"] for t in await transactions(shopper, first.order_id)] == ["failed"]  # only the first
    last = (await _stored(lone, STRIPE))[-1]
    assert (last[0], last[1]["enabled"], last[1]["login"]) == ("GatewayUpdated", False, ROTATED_KEY)


def _no_key_in_text(response: httpx.Response) -> None:
    for key in (API_KEY, ROTATED_KEY, REFUSED_KEY):
        assert key not in response.text, response.text


async def test_the_configuration_survives_a_restart_whatever_the_environment_says(lone: Lone) -> None:
    async with client_of(lone.service.url, admin=True) as admin:
        assert (await _put(admin, "manual", enabled=False)).status_code == 200
        assert (await _put(admin, STRIPE, enabled=False)).status_code == 200
    lone.service.env["PAYMENT_MANUAL_GATEWAY_ENABLED"] = "true"  # the environment would enable both

    await lone.service.restart()

    async with client_of(lone.service.url, admin=True) as admin:
        listed = await admin.get("/v2/gateways")
        assert listed.status_code == 200, listed.text
        assert {g["slug"]: g["enabled"] for g in listed.json()["data"]} == {"manual": False, STRIPE: False}
        order = await check_out(lone.bus)
        async with client_of(lone.service.url, admin=False) as shopper:
            refused = await pay(shopper, order.order_id, gateway="manual", method="authorize")
            assert (refused.status_code, error(refused)["title"]) == (400, "Gateway not enabled"), (
                refused.text
            )
            assert (await _put(admin, "manual", enabled=True)).status_code == 200
            assert (await _put(admin, STRIPE, enabled=True)).json()["data"]["enabled"] is True  # key kept
            paid = await pay(shopper, order.order_id, gateway="manual", method="authorize")
            assert paid.status_code == 200, paid.text
    assert [kind for kind, _ in await _stored(lone, "manual")].count("GatewaySeeded") == 1
