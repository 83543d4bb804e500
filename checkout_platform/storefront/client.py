"""The Elastic Path /v2 requests a storefront and its shop's admin make, written once.

The end-to-end, chaos and security tests and the benchmark each took these steps (add to a cart,
check out, pay, capture, ...) with their own copy of the paths and bodies. Here each step is written
once, over a `Transport` that only sends: every caller keeps its own way of sending (plain httpx,
httpx that retries while a service restarts, or the benchmark's timed aiohttp) and `Storefront`
says what to send and which statuses mean the step went through.

A step raises `UnexpectedResponse` (an AssertionError, so a test fails on it) unless its answer has
one of the `expect`ed statuses; `expect=None` hands back any answer, for a caller that reads it.
One `Storefront` speaks for one caller (a shopper's or the admin's token, held by the transport) to
one base URL; `customer_token` makes it a signed-in customer's (`X-Moltin-Customer-Token`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Generic, Protocol, TypeVar

from checkout_platform.storefront.sample import ADDRESS

Expected = Collection[int] | None
OK: Expected = (200,)
CREATED: Expected = (201,)
CUSTOMER_TOKEN_HEADER = "X-Moltin-Customer-Token"


class Answer(Protocol):
    """What a step reads of an answer (an httpx.Response is one)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class Transport(Protocol):
    """Sends one request; `endpoint` names its route ("POST /v2/carts/{ref}/items") for whoever
    counts or reports by route. `due` (a `time.perf_counter()`) is when the request was meant to
    go, for a transport that times requests: an open-loop load counts a late start in the latency."""

    async def send(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        due: float | None = None,
    ) -> Answer: ...


class UnexpectedResponse(AssertionError):
    """A step answered with a status that does not mean it went through."""

    def __init__(self, endpoint: str, response: Answer) -> None:
        super().__init__(f"{endpoint} -> {response.status_code}: {response.text[:300]}")
        self.response = response


TransportT = TypeVar("TransportT", bound=Transport)


class Storefront(Generic[TransportT]):
    """The steps, over `transport` (kept typed, so a caller can reach what its transport counts)."""

    def __init__(self, transport: TransportT, *, customer_token: str | None = None) -> None:
        self.transport = transport
        self._headers = {CUSTOMER_TOKEN_HEADER: customer_token} if customer_token else None

    async def send(
        self,
        method: str,
        path: str,
        endpoint: str,
        expect: Expected,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        due: float | None = None,
    ) -> Answer:
        """One request, with the customer's token if any; UnexpectedResponse unless `expect`ed."""
        answer = await self.transport.send(
            method, path, endpoint, json=json, data=data, headers=self._headers, due=due
        )
        if expect is not None and answer.status_code not in expect:
            raise UnexpectedResponse(endpoint, answer)
        return answer

    async def token(self, client_id: str, client_secret: str | None = None) -> str:
        """A client-credentials token when a secret is given (the admin's), else an implicit one."""
        form = {"grant_type": "implicit", "client_id": client_id}
        if client_secret is not None:
            form = {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
            }
        answer = await self.send("POST", "/oauth/access_token", "POST /oauth/access_token", OK, data=form)
        return str(answer.json()["access_token"])

    async def register_customer(
        self, name: str, email: str, password: str, *, expect: Expected = CREATED
    ) -> Answer:
        body = {"data": {"type": "customer", "name": name, "email": email, "password": password}}
        return await self.send("POST", "/v2/customers", "POST /v2/customers", expect, json=body)

    async def customer_token(self, email: str, password: str, *, expect: Expected = OK) -> Answer:
        """`POST /v2/customers/tokens`: the token a signed-in customer sends as X-Moltin-Customer-Token."""
        body = {"data": {"type": "token", "email": email, "password": password}}
        return await self.send("POST", "/v2/customers/tokens", "POST /v2/customers/tokens", expect, json=body)

    async def create_product(
        self,
        sku: str,
        name: str,
        prices: Mapping[str, int],
        *,
        manage_stock: bool,
        expect: Expected = CREATED,
    ) -> Answer:
        """A live product priced in each currency of `prices` (amounts in minor units, before tax)."""
        price = [
            {"amount": amount, "currency": currency, "includes_tax": False}
            for currency, amount in prices.items()
        ]
        body = {
            "data": {
                "type": "product",
                "name": name,
                "sku": sku,
                "manage_stock": manage_stock,
                "price": price,
            }
        }
        return await self.send("POST", "/v2/products", "POST /v2/products", expect, json=body)

    async def add_item(
        self,
        cart: str,
        product_id: str,
        quantity: int = 1,
        *,
        expect: Expected = CREATED,
        due: float | None = None,
    ) -> Answer:
        body = {"data": {"type": "cart_item", "id": product_id, "quantity": quantity}}
        return await self.send(
            "POST", f"/v2/carts/{cart}/items", "POST /v2/carts/{ref}/items", expect, json=body, due=due
        )

    async def add_custom_item(
        self, cart: str, item: Mapping[str, Any], quantity: int = 1, *, expect: Expected = CREATED
    ) -> Answer:
        """A line that is no product: `item` has its name, sku and price ({"amount", "includes_tax"})."""
        body = {"data": {"type": "custom_item", "quantity": quantity, **item}}
        return await self.send(
            "POST", f"/v2/carts/{cart}/items", "POST /v2/carts/{ref}/items", expect, json=body
        )

    async def cart_items(self, cart: str, *, expect: Expected = OK) -> Answer:
        return await self.send("GET", f"/v2/carts/{cart}/items", "GET /v2/carts/{ref}/items", expect)

    async def apply_promotion(self, cart: str, code: str, *, expect: Expected = CREATED) -> Answer:
        body = {"data": {"type": "promotion_item", "code": code}}
        return await self.send(
            "POST", f"/v2/carts/{cart}/items", "POST /v2/carts/{ref}/items", expect, json=body
        )

    async def check_out(
        self,
        cart: str,
        customer: Mapping[str, str],
        *,
        billing_address: Mapping[str, str] = ADDRESS,
        shipping_address: Mapping[str, str] | None = None,
        expect: Expected = CREATED,
    ) -> Answer:
        """`customer` is {"id"} (a registered customer's, with their token) or {"name", "email"}."""
        data: dict[str, Any] = {"customer": customer, "billing_address": billing_address}
        if shipping_address is not None:
            data["shipping_address"] = shipping_address
        return await self.send(
            "POST", f"/v2/carts/{cart}/checkout", "POST /v2/carts/{ref}/checkout", expect, json={"data": data}
        )

    async def pay_manually(self, order_id: str, method: str, *, expect: Expected = OK) -> Answer:
        """The manual gateway: a shopper's `authorize`, or an admin's `purchase` (money received
        outside the platform, which only an admin may record)."""
        body = {"data": {"gateway": "manual", "method": method}}
        return await self.send(
            "POST",
            f"/v2/orders/{order_id}/payments",
            f"POST /v2/orders/{{id}}/payments ({method})",
            expect,
            json=body,
        )

    async def capture(self, order_id: str, transaction_id: str, *, expect: Expected = OK) -> Answer:
        """The admin's word that a manual authorisation's money has come."""
        return await self.send(
            "POST",
            f"/v2/orders/{order_id}/transactions/{transaction_id}/capture",
            "POST /v2/orders/{id}/transactions/{id}/capture",
            expect,
        )

    async def refund(
        self, order_id: str, transaction_id: str, amount: int, *, expect: Expected = OK
    ) -> Answer:
        return await self.send(
            "POST",
            f"/v2/orders/{order_id}/transactions/{transaction_id}/refund",
            "POST /v2/orders/{id}/transactions/{id}/refund",
            expect,
            json={"data": {"amount": amount}},
        )

    async def transactions(self, order_id: str, *, expect: Expected = OK) -> Answer:
        return await self.send(
            "GET", f"/v2/orders/{order_id}/transactions", "GET /v2/orders/{id}/transactions", expect
        )

    async def transaction(self, order_id: str, transaction_id: str, *, expect: Expected = OK) -> Answer:
        return await self.send(
            "GET",
            f"/v2/orders/{order_id}/transactions/{transaction_id}",
            "GET /v2/orders/{id}/transactions/{id}",
            expect,
        )

    async def order(self, order_id: str, *, expect: Expected = OK) -> Answer:
        return await self.send("GET", f"/v2/orders/{order_id}", "GET /v2/orders/{id}", expect)

    async def update_order(
        self, order_id: str, change: Mapping[str, str], *, expect: Expected = OK
    ) -> Answer:
        """`PUT /v2/orders/{id}` with e.g. {"shipping": "fulfilled"} or {"status": "cancelled"}."""
        body = {"data": {"type": "order", **change}}
        return await self.send("PUT", f"/v2/orders/{order_id}", "PUT /v2/orders/{id}", expect, json=body)

    async def stock(self, product_id: str, *, expect: Expected = OK) -> Answer:
        return await self.send("GET", f"/v2/inventories/{product_id}", "GET /v2/inventories/{id}", expect)

    async def set_stock(self, product_id: str, quantity: int, *, expect: Expected = CREATED) -> Answer:
        """`POST /v2/inventories/{id}`: the admin starts managing the product's stock at `quantity`."""
        return await self.send(
            "POST",
            f"/v2/inventories/{product_id}",
            "POST /v2/inventories/{id}",
            expect,
            json={"data": {"quantity": quantity}},
        )
