"""Stripe PaymentIntents (`stripe_payment_intents`) through the official SDK's async client.

- A payment is created unconfirmed (its id is recorded before any money can move), then
  confirmed with the shopper's PaymentMethod (`payment` in the request, as the SDK sends it):
  `capture_method=manual` for `authorize`, `automatic` for `purchase`.
- Every call carries an idempotency key derived from the transaction, and the PaymentIntent
  carries `metadata.transaction_id`, so what a crashed call did can be found again (`find`:
  Stripe's search, or a scan of recent PaymentIntents where search is unavailable, as with
  localstripe); refunds carry their key in their metadata for the same reason (`find_refund`).
- Declines and invalid requests are `GatewayRefused`; no answer at all is `GatewayUnreachable`.

STRIPE_API_BASE points the client at another API (localstripe in tests and `make run`).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import stripe

from services.payment.adapters.gateways.faults import KillAfter
from services.payment.adapters.gateways.stripe_states import intent_state
from services.payment.application.ports import ChargeRequest, GatewayRefused, GatewayUnreachable
from services.payment.domain.gateway_state import GatewayRefund, GatewayState

NAME = "stripe_payment_intents"
SCAN_LIMIT = 1000  # PaymentIntents scanned when search is unavailable
T = TypeVar("T")


def _as_dict(obj: Any) -> dict[str, Any]:
    value = obj.to_dict()
    assert isinstance(value, dict)
    return value


class StripeGateway:
    name = NAME
    records_calls = True

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str = "",
        max_network_retries: int = 1,
        kill_after: KillAfter | None = None,
    ) -> None:
        self._http = stripe.HTTPXClient()
        self._api_base = api_base
        self._max_network_retries = max_network_retries
        self._api_key = ""
        self._stripe: stripe.StripeClient | None = None
        self._kill_after = kill_after or KillAfter()
        self.use_login(api_key)

    def use_login(self, login: str) -> None:
        """A new client when the key changes (they share one HTTP connection pool); none without one."""
        if login == self._api_key:
            return
        self._api_key = login
        self._stripe = (
            stripe.StripeClient(
                login,
                base_addresses={"api": self._api_base} if self._api_base else {},
                http_client=self._http,
                max_network_retries=self._max_network_retries,
            )
            if login
            else None
        )

    @property
    def _client(self) -> stripe.StripeClient:
        if self._stripe is None:
            raise GatewayRefused(
                "The stripe_payment_intents gateway has no secret key", code="not_configured"
            )
        return self._stripe

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    # -- the Gateway protocol ------------------------------------------------------------

    async def prepare(self, request: ChargeRequest, idempotency_key: str) -> GatewayState:
        intents = self._client.v1.payment_intents
        params: Any = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "capture_method": "manual" if request.method == "authorize" else "automatic",
            "payment_method_types": ["card"],
            "metadata": {"transaction_id": request.transaction_id, "order_id": request.order_id},
        }
        if request.payment:
            params["payment_method"] = request.payment
        intent = await self._call(
            "create", intents.create_async(params, {"idempotency_key": idempotency_key})
        )
        return intent_state(_as_dict(intent))

    async def find(self, request: ChargeRequest) -> GatewayState | None:
        intents = self._client.v1.payment_intents
        query = f"metadata['transaction_id']:'{request.transaction_id}'"
        try:
            found = await self._call("search", intents.search_async({"query": query}))
            matches = [_as_dict(i) for i in found.data]
        except GatewayRefused:  # no search API (localstripe): scan the most recent ones
            matches = await self._scan(request.transaction_id)
        return intent_state(matches[0]) if matches else None

    async def confirm(self, reference: str, request: ChargeRequest, idempotency_key: str) -> GatewayState:
        intents = self._client.v1.payment_intents
        intent = await self._call(
            "confirm", intents.confirm_async(reference, options={"idempotency_key": idempotency_key})
        )
        return intent_state(_as_dict(intent))

    async def retrieve(self, reference: str) -> GatewayState:
        intent = await self._call("retrieve", self._client.v1.payment_intents.retrieve_async(reference))
        return intent_state(_as_dict(intent))

    async def capture(self, reference: str, amount: int, idempotency_key: str) -> GatewayState:
        intents = self._client.v1.payment_intents
        intent = await self._call(
            "capture",
            intents.capture_async(
                reference, {"amount_to_capture": amount}, {"idempotency_key": idempotency_key}
            ),
        )
        return intent_state(_as_dict(intent))

    async def cancel(self, reference: str, idempotency_key: str) -> GatewayState:
        intents = self._client.v1.payment_intents
        intent = await self._call(
            "cancel", intents.cancel_async(reference, options={"idempotency_key": idempotency_key})
        )
        return intent_state(_as_dict(intent))

    async def refund(
        self, reference: str, amount: int, idempotency_key: str, transaction_id: str
    ) -> GatewayRefund:
        params: Any = {
            "payment_intent": reference,
            "amount": amount,
            "metadata": {"transaction_id": transaction_id, "idempotency_key": idempotency_key},
        }
        made = await self._call(
            "refund", self._client.v1.refunds.create_async(params, {"idempotency_key": idempotency_key})
        )
        return GatewayRefund(reference=str(made.id), amount=int(made.amount))

    async def find_refund(self, reference: str, idempotency_key: str) -> GatewayRefund | None:
        refunds = await self._call(
            "list refunds", self._client.v1.refunds.list_async({"payment_intent": reference, "limit": 100})
        )
        for made in refunds.data:
            metadata = _as_dict(made).get("metadata") or {}
            if metadata.get("idempotency_key") == idempotency_key:
                return GatewayRefund(reference=str(made.id), amount=int(made.amount))
        return None

    # -- plumbing ------------------------------------------------------------------------

    async def _scan(self, transaction_id: str) -> list[dict[str, Any]]:
        intents = self._client.v1.payment_intents
        after: str | None = None
        for _ in range(SCAN_LIMIT // 100):
            params: Any = {"limit": 100, **({"starting_after": after} if after else {})}
            page = await self._call("list", intents.list_async(params))
            found = [_as_dict(i) for i in page.data]
            matches = [i for i in found if (i.get("metadata") or {}).get("transaction_id") == transaction_id]
            if matches or not page.has_more or not found:
                return matches
            after = str(found[-1]["id"])
        return []

    async def _call(self, operation: str, call: Awaitable[T]) -> T:
        """Stripe's errors as the gateway port's, and the crash test hook after a success."""
        try:
            result = await call
        except stripe.CardError as exc:
            raise GatewayRefused(
                exc.user_message or str(exc), code=exc.code or "card_declined", error=_error(exc)
            ) from None
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise GatewayUnreachable(str(exc)) from exc
        except stripe.StripeError as exc:
            if exc.http_status is None or exc.http_status >= 500:
                raise GatewayUnreachable(str(exc)) from exc
            raise GatewayRefused(
                exc.user_message or str(exc), code=exc.code or "invalid_request", error=_error(exc)
            ) from None
        self._kill_after.after(operation)
        return result


def _error(exc: stripe.StripeError) -> dict[str, Any]:
    """The Stripe error object Elastic Path echoes in `meta.error`."""
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict):
        return {str(k): v for k, v in error.items()}
    return {"code": exc.code, "message": exc.user_message or str(exc)}
