"""Every route of every service x every kind of credential, against the services as processes.

Bad credentials (none, expired, tampered, forged, `alg: none`, a customer token as Bearer) answer
401 in EP's shape on every route that needs a token; shopper tokens answer 403 on admin routes
and on routes that need a customer token beside them; admin tokens pass everywhere. Public
routes (probes, the token endpoint, Stripe's webhook) never ask for a token. Whether a request
that passes authorisation then succeeds is not this test's business (random ids give 404s), but
it must not be a 401/403 nor a server error.
"""

from __future__ import annotations

import asyncio
import re
from uuid import uuid4

import httpx
import pytest

from tests.security.conftest import client
from tests.security.credentials import BAD
from tests.security.ep_errors import assert_ep_error
from tests.security.routes import EXPECTED, Access, Route, all_routes, routes_of

ROUTES = all_routes()
DENIED = (401, 403)


def test_every_route_is_classified_and_every_classified_route_exists():
    for service, expected in EXPECTED.items():
        present = {(route.method, route.path) for route in routes_of(service)}
        assert present - set(expected) == set(), f"{service}: routes with no declared access class"
        assert set(expected) - present == set(), f"{service}: declared routes that do not exist"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid4()), path)


_BODIES: dict[tuple[str, str], object] = {
    # EP answers an object body here with 403 "Invalid json payload" (carts-orders.yaml): an array
    # lets the matrix see the access decision rather than that body rule.
    ("POST", "/v2/carts/{ref}/relationships/customers"): {"data": [{"type": "customer", "id": str(uuid4())}]},
    ("DELETE", "/v2/carts/{ref}/relationships/customers"): {
        "data": [{"type": "customer", "id": str(uuid4())}]
    },
}


async def _call(url: str, route: Route, token: str | None) -> httpx.Response:
    async with client_for(url, token) as http:
        default = {"data": {}} if route.method in ("POST", "PUT") else None
        body = _BODIES.get((route.method, route.path), default)
        return await http.request(route.method, _concrete(route.path), json=body)


def client_for(url: str, token: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=60)


def _assert_passes(route: Route, who: str, response: httpx.Response) -> None:
    assert response.status_code not in DENIED, (route.id, who, response.status_code, response.text)
    assert response.status_code < 500, (route.id, who, response.status_code, response.text)
    if response.status_code >= 400 and route.method != "HEAD":
        assert_ep_error(response)


@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
async def test_route_enforces_its_access_class(route, services, admin_token, shopper_token):
    access = EXPECTED[route.service][(route.method, route.path)]
    url = services[route.service].url
    bad_names = list(BAD)
    responses = await asyncio.gather(
        *(_call(url, route, BAD[name]) for name in bad_names),
        _call(url, route, shopper_token),
        _call(url, route, admin_token),
    )
    by_bad = dict(zip(bad_names, responses[: len(bad_names)], strict=True))
    shopper, admin = responses[-2], responses[-1]

    if access is Access.PUBLIC:
        for who, response in [*by_bad.items(), ("shopper", shopper), ("admin", admin)]:
            _assert_passes(route, who, response)
        return

    for who, response in by_bad.items():
        error = assert_ep_error(response, 401)
        assert error["title"] == "Unable to validate access token", (route.id, who, error)
        assert response.headers.get("www-authenticate") == "Bearer", (route.id, who)
    if access is Access.CUSTOMER_TOKEN:
        for who, response in [("shopper", shopper), ("admin", admin)]:
            error = assert_ep_error(response, 401)
            assert "X-Moltin-Customer-Token" in str(error["detail"]), (route.id, who, error)
        return
    if access is Access.SHOPPER:
        _assert_passes(route, "shopper", shopper)
    else:
        assert_ep_error(shopper, 403)
    _assert_passes(route, "admin", admin)


async def test_a_customer_token_lets_a_shopper_through_customer_routes(services, shopper_token):
    """The CUSTOMER class's other half: with their customer token, shoppers pass (see test_ownership)."""
    from tests.security.shoppers import register_customer

    cart = services["cart"]
    customer = await register_customer(cart, shopper_token)
    headers = {"X-Moltin-Customer-Token": customer.token}
    async with client(services["order"], shopper_token, **headers) as orders:
        listed = await orders.get("/v2/orders")
    assert listed.status_code == 200, listed.text
    async with client(cart, shopper_token, **headers) as carts:
        own = await carts.get(f"/v2/customers/{customer.id}")
        own_carts = await carts.get("/v2/carts")
    assert own.status_code == 200, own.text
    assert own_carts.status_code == 200, own_carts.text  # the CUSTOMER_TOKEN class's other half
