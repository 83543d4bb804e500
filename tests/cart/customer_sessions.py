"""A registered, signed-in customer for the customer-cart tests: their id and token headers."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

import httpx

from shared.auth import CUSTOMER_TOKEN_HEADER

PASSWORD = "correct horse 42"


@dataclass(frozen=True)
class SignedIn:
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {CUSTOMER_TOKEN_HEADER: self.token}


async def sign_up(client: httpx.AsyncClient, name: str = "Ann Perkins") -> SignedIn:
    """Register a customer with a fresh email and sign them in with their password."""
    email = f"{name.split()[0].lower()}.{uuid4().hex[:8]}@example.com"
    created = await client.post(
        "/v2/customers",
        json={"data": {"type": "customer", "name": name, "email": email, "password": PASSWORD}},
    )
    assert created.status_code == 201, created.text
    token = await client.post(
        "/v2/customers/tokens",
        json={
            "data": {
                "type": "token",
                "authentication_mechanism": "password",
                "email": email,
                "password": PASSWORD,
            }
        },
    )
    assert token.status_code == 200, token.text
    return SignedIn(created.json()["data"]["id"], email, token.json()["data"]["token"])


def customers(*ids: str) -> dict[str, list[dict[str, str]]]:
    """Elastic Path's association body."""
    return {"data": [{"type": "customer", "id": customer_id} for customer_id in ids]}
