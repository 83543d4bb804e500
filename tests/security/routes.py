"""Every HTTP route of every service, read from the FastAPI apps themselves, and who may call it.

The expected class of each route is written down here from DESIGN.md and ep-api.md, not derived
from the code under test; a route the table does not know fails the matrix, so a new route cannot
ship without someone deciding who may call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from services import SERVICES, bootstrap


class Access(Enum):
    PUBLIC = "public"  # no token: probes, the token endpoint, Stripe's signed webhooks
    SHOPPER = "shopper"  # any valid access token, implicit or client credentials
    CUSTOMER = "customer"  # admins; shoppers only with their X-Moltin-Customer-Token
    ADMIN = "admin"  # client-credentials tokens only
    CUSTOMER_TOKEN = "customer token"  # only with an X-Moltin-Customer-Token, admins too (EP: 401 without)


APPS: dict[str, Callable[[], FastAPI]] = {name: bootstrap(name).create_app for name in SERVICES}

# Operational endpoints every service has; the gateway routes none of them to the public.
_OPERATIONAL = {
    ("GET", "/health"): Access.PUBLIC,
    ("GET", "/ready"): Access.PUBLIC,
    ("GET", "/metrics"): Access.PUBLIC,
    ("GET", "/openapi.json"): Access.PUBLIC,
    ("HEAD", "/openapi.json"): Access.PUBLIC,
}
_TOKEN_ENDPOINT = {("POST", "/oauth/access_token"): Access.PUBLIC}

EXPECTED: dict[str, dict[tuple[str, str], Access]] = {
    "cart": {
        **_OPERATIONAL,
        **_TOKEN_ENDPOINT,
        ("POST", "/v2/carts"): Access.SHOPPER,
        ("GET", "/v2/carts"): Access.CUSTOMER_TOKEN,  # EP getCarts: the customer token's carts
        ("POST", "/v2/carts/{ref}/relationships/customers"): Access.CUSTOMER,  # EP: with the customer's token
        ("DELETE", "/v2/carts/{ref}/relationships/customers"): Access.CUSTOMER,
        ("GET", "/v2/carts/{ref}"): Access.SHOPPER,
        ("PUT", "/v2/carts/{ref}"): Access.SHOPPER,
        ("DELETE", "/v2/carts/{ref}"): Access.SHOPPER,
        ("GET", "/v2/carts/{ref}/items"): Access.SHOPPER,
        ("POST", "/v2/carts/{ref}/items"): Access.SHOPPER,  # custom items too (implicit tokens)
        ("PUT", "/v2/carts/{ref}/items"): Access.SHOPPER,
        ("DELETE", "/v2/carts/{ref}/items"): Access.SHOPPER,
        ("PUT", "/v2/carts/{ref}/items/{item_id}"): Access.SHOPPER,
        ("DELETE", "/v2/carts/{ref}/items/{item_id}"): Access.SHOPPER,
        ("DELETE", "/v2/carts/{ref}/discounts/{code}"): Access.SHOPPER,
        ("POST", "/v2/carts/{ref}/items/{item_id}/taxes"): Access.ADMIN,  # ep-api §13: tax items
        ("DELETE", "/v2/carts/{ref}/items/{item_id}/taxes/{tax_id}"): Access.ADMIN,
        ("POST", "/v2/carts/{ref}/checkout"): Access.SHOPPER,
        ("GET", "/v2/products"): Access.SHOPPER,
        ("GET", "/v2/products/{product_id}"): Access.SHOPPER,
        ("POST", "/v2/products"): Access.ADMIN,
        ("PUT", "/v2/products/{product_id}"): Access.ADMIN,
        ("DELETE", "/v2/products/{product_id}"): Access.ADMIN,
        ("GET", "/v2/promotions"): Access.ADMIN,  # promotions CRUD: client credentials
        ("POST", "/v2/promotions"): Access.ADMIN,
        ("GET", "/v2/promotions/{promotion_id}"): Access.ADMIN,
        ("PUT", "/v2/promotions/{promotion_id}"): Access.ADMIN,
        ("DELETE", "/v2/promotions/{promotion_id}"): Access.ADMIN,
        ("GET", "/v2/promotions/{promotion_id}/codes"): Access.ADMIN,
        ("POST", "/v2/promotions/{promotion_id}/codes"): Access.ADMIN,
        ("DELETE", "/v2/promotions/{promotion_id}/codes/{code_id}"): Access.ADMIN,
        ("POST", "/v2/customers"): Access.SHOPPER,
        ("POST", "/v2/customers/tokens"): Access.SHOPPER,
        ("GET", "/v2/customers"): Access.ADMIN,
        ("GET", "/v2/customers/{customer_id}"): Access.CUSTOMER,
        ("PUT", "/v2/customers/{customer_id}"): Access.CUSTOMER,  # EP: the customer with their token
        ("DELETE", "/v2/customers/{customer_id}"): Access.ADMIN,  # EP (SDK Customers.Delete): no token
        ("GET", "/v2/customers/{customer_id}/addresses"): Access.CUSTOMER,
        ("POST", "/v2/customers/{customer_id}/addresses"): Access.CUSTOMER,
        ("GET", "/v2/customers/{customer_id}/addresses/{address_id}"): Access.CUSTOMER,
        ("PUT", "/v2/customers/{customer_id}/addresses/{address_id}"): Access.CUSTOMER,
        ("DELETE", "/v2/customers/{customer_id}/addresses/{address_id}"): Access.CUSTOMER,
    },
    "order": {
        **_OPERATIONAL,
        **_TOKEN_ENDPOINT,
        ("GET", "/v2/orders"): Access.CUSTOMER,
        ("GET", "/v2/orders/{order_id}"): Access.SHOPPER,  # a registered customer's: see test_ownership
        ("GET", "/v2/orders/{order_id}/items"): Access.SHOPPER,
        ("PUT", "/v2/orders/{order_id}"): Access.ADMIN,  # cancel, flag fulfilled
        ("POST", "/v2/orders/anonymize"): Access.ADMIN,  # EP: erasure requests, client credentials
    },
    "payment": {
        **_OPERATIONAL,
        **_TOKEN_ENDPOINT,
        ("POST", "/v2/orders/{order_id}/payments"): Access.SHOPPER,
        ("GET", "/v2/orders/{order_id}/transactions"): Access.SHOPPER,
        ("GET", "/v2/orders/{order_id}/transactions/{transaction_id}"): Access.SHOPPER,
        ("POST", "/v2/orders/{order_id}/transactions/{transaction_id}/confirm"): Access.SHOPPER,
        ("POST", "/v2/orders/{order_id}/transactions/{transaction_id}/capture"): Access.ADMIN,
        ("POST", "/v2/orders/{order_id}/transactions/{transaction_id}/refund"): Access.ADMIN,
        ("POST", "/v2/orders/{order_id}/transactions/{transaction_id}/cancel"): Access.ADMIN,
        ("POST", "/v2/webhooks/stripe"): Access.PUBLIC,  # authenticated by Stripe-Signature instead
        ("GET", "/v2/gateways"): Access.ADMIN,  # gateway configuration: client credentials (ep-api §2)
        ("GET", "/v2/gateways/{slug}"): Access.ADMIN,
        ("PUT", "/v2/gateways/{slug}"): Access.ADMIN,
    },
    "inventory": {
        **_OPERATIONAL,
        **_TOKEN_ENDPOINT,
        ("GET", "/v2/inventories"): Access.SHOPPER,
        ("POST", "/v2/inventories/multiple"): Access.SHOPPER,  # a read of several products
        ("GET", "/v2/inventories/{product_id}"): Access.SHOPPER,
        ("POST", "/v2/inventories/{product_id}"): Access.ADMIN,  # stock writes: client credentials
        ("DELETE", "/v2/inventories/{product_id}"): Access.ADMIN,
        ("POST", "/v2/inventories/{product_id}/transactions"): Access.ADMIN,
        ("GET", "/v2/inventories/{product_id}/transactions"): Access.SHOPPER,
        ("GET", "/v2/inventories/{product_id}/transactions/{transaction_id}"): Access.SHOPPER,
    },
    "fulfillment": {**_OPERATIONAL},
}


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str  # the template, e.g. /v2/orders/{order_id}

    @property
    def id(self) -> str:
        return f"{self.service}:{self.method} {self.path}"


def routes_of(service: str) -> list[Route]:
    """Every (method, path) the service's app answers, nested routers included."""
    app = APPS[service]()
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path
        if not isinstance(path, str):
            continue
        for method in route.methods or ():
            found.add(Route(service, method, path))
    return sorted(found, key=lambda r: (r.path, r.method))


def all_routes() -> list[Route]:
    return [route for service in APPS for route in routes_of(service)]
