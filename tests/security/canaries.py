"""Distinctive secret values the security suite's services run with, so a leak is recognisable.

Each is long and unique, so finding one in a log line or a response body cannot be a coincidence.
"""

from __future__ import annotations

from shared.auth.tokens import GrantType, issue_token
from shared.settings import ServiceSettings

CLIENT_ID = "security-suite-client"
CLIENT_SECRET = "cs-canary-5b1f0e9a3c7d4e21a8f6"
JWT_SECRET = "jwt-canary-9d2c41f7e0b84a6c93e5d17b"
STRIPE_API_KEY = "sk_test_canary4f8a2e6c1b9d07e3"
STRIPE_WEBHOOK_SECRET = "whsec_canary7c3e9a1f5d2b8064"
DATABASE_PASSWORD = "dbpw-canary-2e7f9c4a1d6b83"
ORDER_ID_SECRET = "oid-canary-6a1e4c9f2b7d50e3a8c1"

ALL = {
    "CLIENT_SECRET": CLIENT_SECRET,
    "JWT_SECRET": JWT_SECRET,
    "STRIPE_API_KEY": STRIPE_API_KEY,
    "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
    "database password": DATABASE_PASSWORD,
    "ORDER_ID_SECRET": ORDER_ID_SECRET,
}


def environment() -> dict[str, str]:
    """Every service of the suite gets all of them (each reads the ones it needs)."""
    return {
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "JWT_SECRET": JWT_SECRET,
        "STRIPE_API_KEY": STRIPE_API_KEY,
        "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
        "ORDER_ID_SECRET": ORDER_ID_SECRET,
    }


def settings(jwt_secret: str = JWT_SECRET) -> ServiceSettings:
    """Settings that sign tokens as the suite's services do (or, with another secret, as a forger)."""
    return ServiceSettings(jwt_secret=jwt_secret, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


def signed_token(grant: GrantType, *, jwt_secret: str = JWT_SECRET, now: int | None = None) -> str:
    return issue_token(grant, CLIENT_ID, settings(jwt_secret), now=now)["access_token"]
