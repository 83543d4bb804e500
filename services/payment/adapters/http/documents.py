"""Elastic Path's transaction document (ep-api.md §10.1), built from the aggregate.

Both `transaction_type` and the legacy `transaction-type` are emitted. `display_refunded_amount`
is a formatted price (as the OpenAPI schema has it) that also carries `total` (as the examples
show it), so clients reading either shape find the amount.
"""

from __future__ import annotations

from typing import Any

from services.payment.domain.transaction import Transaction
from shared.ep.orders import iso
from shared.money import formatted


def transaction_document(txn: Transaction) -> dict[str, Any]:
    kind = txn.transaction_type
    amount = txn.captured or txn.authorized or txn.amount
    refunded = formatted(txn.refunded_total, txn.currency)
    document: dict[str, Any] = {
        "id": txn.id,
        "type": "transaction",
        "reference": txn.reference or ("manual" if txn.gateway == "manual" else ""),
        "gateway": txn.gateway,
        "amount": amount,
        "refunded_amount": txn.refunded_total,
        "currency": txn.currency,
        "transaction_type": kind,
        "transaction-type": kind,
        "status": txn.status,
        "relationships": {"order": {"data": {"type": "order", "id": txn.order_id}}},
        "meta": {
            "display_price": formatted(amount, txn.currency),
            "display_refunded_amount": {**refunded, "total": refunded},
            "timestamps": {"created_at": iso(txn.created_at), "updated_at": iso(txn.updated_at)},
        },
    }
    if txn.name:
        document["name"] = txn.name
    if txn.custom_reference:
        document["custom_reference"] = txn.custom_reference
    if txn.refund_mechanism:
        document["refund_mechanism"] = txn.refund_mechanism
    if txn.method == "authorize" and txn.has_capture:
        document["capture_mechanism"] = "automatic" if txn.gateway != "manual" else "manual"
    if txn.status == "failed":
        document["failure_details"] = {"code": txn.failure_code, "reason": txn.failure_reason}
    if txn.status == "pending" and txn.client_secret and txn.reference:
        document["client_parameters"] = {"token": txn.reference, "secret": txn.client_secret}
    return document
