"""Stripe's webhook signature, made by the test: genuine (our secret) or forged (another one)."""

from __future__ import annotations

import hashlib
import hmac
import time

import orjson


def signed(event: dict[str, object], secret: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers Stripe would POST: `Stripe-Signature: t=<time>,v1=<HMAC-SHA256>`."""
    payload = orjson.dumps(event)
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, {"Stripe-Signature": f"t={timestamp},v1={digest}", "Content-Type": "application/json"}
