"""The test's view of localstripe: shoppers' PaymentMethods, webhook registration, and what
Stripe holds for a transaction (to prove nothing was charged twice)."""

from __future__ import annotations

from typing import Any

import httpx
import stripe

API_KEY = "sk_test_12345"
WEBHOOK_SECRET = "whsec_payment_tests"
WEBHOOK_EVENTS = [
    "payment_intent.succeeded",
    "payment_intent.amount_capturable_updated",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
]
DECLINED_CARD = "4000000000000341"


class LocalStripe:
    def __init__(self, url: str) -> None:
        self.url = url
        self.client = stripe.StripeClient(
            API_KEY, base_addresses={"api": url}, http_client=stripe.HTTPXClient(), max_network_retries=0
        )

    async def register_webhook(self, name: str, target: str) -> None:
        """localstripe's own registration API (there is no /v1/webhook_endpoints)."""
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{self.url}/_config/webhooks/{name}",
                json={"url": target, "secret": WEBHOOK_SECRET, "events": WEBHOOK_EVENTS},
            )
            response.raise_for_status()

    async def unregister_webhook(self, name: str) -> None:
        """localstripe cannot delete one: an empty event filter silences it."""
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{self.url}/_config/webhooks/{name}",
                json={"url": "http://127.0.0.1:9/", "secret": WEBHOOK_SECRET, "events": []},
            )
            response.raise_for_status()

    async def card(self, number: str) -> str:
        """A PaymentMethod id, as Stripe.js would hand it to the shopper's browser."""
        method = await self.client.v1.payment_methods.create_async(
            {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
        )
        return str(method.id)

    async def intents_of(self, transaction_id: str) -> list[dict[str, Any]]:
        """Every PaymentIntent made for one of our transactions (by its metadata)."""
        found: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params: Any = {"limit": 100, **({"starting_after": after} if after else {})}
            page = await self.client.v1.payment_intents.list_async(params)
            intents = [i.to_dict() for i in page.data]
            found += [i for i in intents if (i.get("metadata") or {}).get("transaction_id") == transaction_id]
            if not page.has_more or not intents:
                return found
            after = intents[-1]["id"]

    async def charge_movements(self, charge_id: str) -> list[dict[str, Any]]:
        """Balance transactions of type `charge` for one charge: one per capture of money."""
        async with httpx.AsyncClient() as http:
            response = await http.get(
                f"{self.url}/v1/balance_transactions", params={"limit": 1000}, auth=(API_KEY, "")
            )
            response.raise_for_status()
            data: list[dict[str, Any]] = response.json()["data"]
        return [t for t in data if t.get("source") == charge_id and t.get("type") == "charge"]
