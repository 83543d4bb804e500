"""Every kind of credential a caller can present, good and bad, as Authorization headers."""

from __future__ import annotations

import base64
import time

import jwt
import orjson

from shared.auth.customers import issue_customer_token
from tests.security import canaries

TTL_SECONDS = 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def expired() -> str:
    """A genuine admin token whose hour ran out a while ago."""
    return canaries.signed_token("client_credentials", now=int(time.time()) - 2 * TTL_SECONDS - 60)


def tampered_signature() -> str:
    """A genuine admin token with one byte of its signature changed."""
    header, payload, signature = canaries.signed_token("client_credentials").split(".")
    raw = bytearray(_unb64(signature))
    raw[0] ^= 0x01
    return f"{header}.{payload}.{_b64(bytes(raw))}"


def promoted_shopper() -> str:
    """A genuine shopper token whose payload was edited to claim client credentials."""
    header, payload, signature = canaries.signed_token("implicit").split(".")
    claims = orjson.loads(_unb64(payload))
    claims["role"] = "client_credentials"
    return f"{header}.{_b64(orjson.dumps(claims))}.{signature}"


def foreign_secret() -> str:
    """An admin token signed with a secret that is not ours."""
    return canaries.signed_token("client_credentials", jwt_secret="not-the-services-jwt-secret-0123456789")


def unsigned() -> str:
    """`alg: none`: an admin token with no signature at all."""
    now = int(time.time())
    claims = {"iss": "checkout-platform", "sub": canaries.CLIENT_ID, "role": "client_credentials"}
    return jwt.encode({**claims, "iat": now, "exp": now + 600}, key=None, algorithm="none")


def customer_token_as_bearer() -> str:
    """A customer token (X-Moltin-Customer-Token) presented as if it were an access token."""
    token, _ = issue_customer_token("some-customer", canaries.settings())
    return token


BAD: dict[str, str | None] = {
    "no token": None,
    "expired": expired(),
    "tampered signature": tampered_signature(),
    "shopper promoted to admin": promoted_shopper(),
    "signed with another secret": foreign_secret(),
    "alg none": unsigned(),
    "customer token as bearer": customer_token_as_bearer(),
    "not a JWT": "definitely-not-a-jwt",
}
