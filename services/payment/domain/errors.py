"""Rule violations of the payment service, each carrying the Elastic Path error it answers with."""

from __future__ import annotations

from typing import Any

from shared.contracts.values import StockLine
from shared.domain.errors import DomainError, NotFound


class OrderNotFound(NotFound):
    def __init__(self, order_id: str) -> None:
        super().__init__("No order found with the given id", order_id)
        self.order_id = order_id


class TransactionNotFound(NotFound):
    def __init__(self, transaction_id: str) -> None:
        super().__init__("No transaction found with the given id", transaction_id)


class OrderAlreadyPaid(DomainError):
    """Nothing is owing: completed (or still pending) transactions cover the order's total."""

    status = 422
    title = "Order already paid"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            "This order has already been paid or authorized, or a payment for it is in progress",
            meta={"id": order_id},
        )


class CancelledOrderCannotBePaid(DomainError):
    status = 422
    title = "Order cancelled"

    def __init__(self, order_id: str) -> None:
        super().__init__("A cancelled order cannot be paid", meta={"id": order_id})


class PaymentAmountInvalid(DomainError):
    """A split payment for more than is owing (or for nothing)."""

    status = 400
    title = "Invalid amount"

    def __init__(self, amount: int, owing: int) -> None:
        super().__init__(
            f"The amount must be between 1 and the balance owing ({owing})",
            source="data.amount",
            meta={"amount": amount, "balance_owing": owing},
        )


class ZeroValueOrderNeedsManualGateway(DomainError):
    """Elastic Path: "use Manual Gateway to process payments if the order total is zero"."""

    status = 422
    title = "Manual gateway required"

    def __init__(self, order_id: str, gateway: str) -> None:
        super().__init__(
            f"An order whose total is 0 is paid through the manual gateway, not {gateway}",
            source="data.gateway",
            meta={"id": order_id},
        )


class InsufficientStock(DomainError):
    """Elastic Path's answer when stock cannot be allocated for a payment: nothing was charged."""

    status = 422
    title = "Cannot complete request"

    def __init__(self, transaction_id: str, short: list[StockLine]) -> None:
        super().__init__(
            "Your request could not be completed due to insufficient stock levels",
            meta={
                "transaction_id": transaction_id,
                "short": [line.model_dump() for line in short],
            },
        )


class TransactionStateError(DomainError):
    """The transaction is not in a state that allows this (capture twice, refund uncaptured...)."""

    status = 422

    def __init__(self, title: str, detail: str, transaction_id: str) -> None:
        super().__init__(detail, title=title, meta={"id": transaction_id})


class AmountExceeded(DomainError):
    """Capturing more than was authorised, or refunding more than was captured."""

    status = 400

    def __init__(self, title: str, detail: str, meta: dict[str, Any]) -> None:
        super().__init__(detail, title=title, source="data.amount", meta=meta)


class GatewayCallInFlight(DomainError):
    """Another request is talking to the gateway about this transaction right now."""

    status = 409
    title = "Conflict"

    def __init__(self, transaction_id: str) -> None:
        super().__init__(
            "Another operation on this transaction is in progress; retry shortly",
            meta={"id": transaction_id},
        )


class GatewayReferenceMismatch(DomainError):
    """The gateway reported a different payment than the one this transaction recorded."""

    status = 409
    title = "Conflict"


class GatewayDeclined(DomainError):
    """Elastic Path's answer when the gateway refuses: the gateway's own error is in `meta.error`."""

    status = 400
    title = "Payment gateway processing failed"

    def __init__(self, detail: str, *, transaction_id: str, error: dict[str, Any]) -> None:
        super().__init__(detail, meta={"transaction_id": transaction_id, "error": error})


class GatewayUnavailable(DomainError):
    """The gateway did not answer: the call's outcome is unknown and will be reconciled."""

    status = 503
    title = "Payment gateway unavailable"

    def __init__(self, transaction_id: str) -> None:
        super().__init__(
            "The payment gateway did not answer; the transaction will be reconciled, retry later",
            meta={"transaction_id": transaction_id},
        )


class GatewayNotEnabled(DomainError):
    status = 400
    title = "Gateway not enabled"

    def __init__(self, gateway: str) -> None:
        super().__init__(f"The {gateway} gateway is not enabled", source="data.gateway")


class AllocationTimedOut(DomainError):
    """Inventory did not answer in time: the payment was abandoned before any money moved."""

    status = 503
    title = "Service Unavailable"

    def __init__(self, transaction_id: str) -> None:
        super().__init__(
            "Stock could not be allocated in time; nothing was charged, please retry",
            meta={"transaction_id": transaction_id},
        )


class GatewayNotFound(NotFound):
    def __init__(self, slug: str) -> None:
        super().__init__("No gateway found with the given slug", slug)


class GatewayLoginRequired(DomainError):
    """Enabling a gateway that needs a secret key (Stripe's), with none given or stored."""

    status = 400
    title = "required"

    def __init__(self, slug: str) -> None:
        super().__init__(f"login is required to enable the {slug} gateway", source="data.login")


class ManualPaymentNeedsAdmin(DomainError):
    """A manual `purchase` records money taken outside the platform: only the merchant may say so.

    A shopper may `authorize` a manual payment (the order waits, its stock held); the admin
    captures it once the money has arrived (Elastic Path: "The `capture` method requires
    client_credentials").
    """

    status = 403
    title = "Forbidden"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            "A manual purchase needs a client_credentials token: a shopper may authorize a manual"
            " payment, which an admin captures once the money has been received",
            source="data.method",
            meta={"id": order_id},
        )
