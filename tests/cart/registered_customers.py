"""Registering a customer and signing them in over HTTP, for the customer, customer-cart and merge tests."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from uuid import uuid4

import httpx

PASSWORD = "correct-horse-1"
TOKEN_HEADER = "X-Moltin-Customer-Token"


@dataclass(frozen=True)
class SignedIn:
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {TOKEN_HEADER: self.token}


def claims(token: str) -> dict[str, object]:
    """The claims of a customer token (a JWT), read without verifying it."""
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def unique_email(local: str = "leslie") -> str:
    return f"{local}-{uuid4().hex[:8]}@example.com"


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    body = {
        "data": {
            "type": "token",
            "authentication_mechanism": "password",
            "email": email,
            "password": password,
        }
    }
    return await client.post("/v2/customers/tokens", json=body)


async def registered(client: httpx.AsyncClient, name: str = "Leslie Knope") -> SignedIn:
    """A new customer with a password, and their customer token."""
    email = unique_email()
    body = {"data": {"type": "customer", "name": name, "email": email, "password": PASSWORD}}
    created = await client.post("/v2/customers", json=body)
    assert created.status_code == 201, created.text
    token = await sign_in(client, email)
    assert token.status_code == 200, token.text
    return SignedIn(created.json()["data"]["id"], email, token.json()["data"]["token"])


def customers(*ids: str) -> dict[str, list[dict[str, str]]]:
    """Elastic Path's cart-customer association body."""
    return {"data": [{"type": "customer", "id": customer_id} for customer_id in ids]}
