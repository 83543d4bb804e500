"""The payment service's own tables besides the kernel's, written in the same transaction as the
events they index.

- `open_transactions`: transactions with unfinished business (still pending, or a gateway call
  started and not recorded). The reconciler walks it after a crash; a row goes away once the
  transaction settles.
- `gateway_references`: the gateway's id of a payment (a Stripe PaymentIntent) to ours, for
  webhooks that name only the gateway's object.
"""

from __future__ import annotations

PAYMENT_DDL = [
    """
    CREATE TABLE IF NOT EXISTS open_transactions (
        transaction_id text PRIMARY KEY,
        order_id       text NOT NULL,
        gateway        text NOT NULL,
        since          timestamptz NOT NULL DEFAULT now()
    )""",
    """
    CREATE TABLE IF NOT EXISTS gateway_references (
        reference      text PRIMARY KEY,
        transaction_id text NOT NULL
    )""",
]
