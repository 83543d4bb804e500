"""A NUL (`%00`) in a path or query parameter is a 400 `format` from every service, not a 500.

Regression: `GET /v2/orders?filter=eq(status,%00)` reached PostgreSQL as a bound parameter, which
text cannot hold, and answered 500 (found by schemathesis through the gateway). nginx refuses a
`%00` in the path itself, so the path cases go to the services directly.
"""

from __future__ import annotations

import pytest

from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error

NUL_REQUESTS = [
    ("order", "/v2/orders?filter=eq(status,%00)", "filter"),
    ("order", "/v2/orders?sort=created_at&include=it%00ems", "include"),
    ("order", "/v2/orders/a%00b", "path"),
    ("cart", "/v2/carts/a%00b/items", "path"),
    ("cart", "/v2/products?page[limit]=1%00", "page[limit]"),
    ("payment", "/v2/orders/a%00b/transactions", "path"),
    ("inventory", "/v2/inventories/%00", "path"),
]


@pytest.mark.parametrize(("service", "target", "source"), NUL_REQUESTS)
async def test_a_nul_parameter_is_a_400_format(services, admin_token, service, target, source):
    async with client(services[service], admin_token) as http:
        response = await http.get(target)
    error = assert_ep_error(response, 400)
    assert (error["title"], error["source"]) == ("format", source)
    assert "x-correlation-id" in response.headers


async def test_parameters_without_nul_still_reach_the_handler(services, admin_token):
    async with client(services["order"], admin_token) as http:
        response = await http.get("/v2/orders?filter=eq(status,complete)&page[limit]=1")
    assert response.status_code == 200, response.text
