"""The payment service's own tables besides the kernel's, written in the same transaction as the
events they index.

- `open_transactions`: transactions with unfinished business (still pending, or a gateway call
  started and not recorded). The reconciler walks it after a crash; a row goes away once the
  transaction settles. `owner` names the process that holds it without a lock, if one does.
- `gateway_references`: the gateway's id of a payment (a Stripe PaymentIntent) to ours, for
  webhooks that name only the gateway's object.
- `webhook_deliveries`: every incoming gateway webhook and what became of it, written after it was
  handled, not in its transaction (`webhook_deliveries.py`); `checkout-admin webhooks` reads it.
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
    # the process holding it without a lock (`TransactionLocks.owned`); NULL: held by its lock
    "ALTER TABLE open_transactions ADD COLUMN IF NOT EXISTS owner text",
    """
    CREATE TABLE IF NOT EXISTS gateway_references (
        reference      text PRIMARY KEY,
        transaction_id text NOT NULL
    )""",
    """
    CREATE TABLE IF NOT EXISTS webhook_deliveries (
        delivery        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        received_at     timestamptz NOT NULL,
        gateway         text NOT NULL,
        event_id        text,
        event_type      text,
        signature_ok    boolean NOT NULL,
        outcome         text NOT NULL
                        CHECK (outcome IN ('applied', 'duplicate', 'ignored', 'rejected', 'failed')),
        changed         boolean NOT NULL DEFAULT false,
        detail          text,
        payload         bytea,
        payload_whole   boolean NOT NULL DEFAULT false,
        retry_of        bigint REFERENCES webhook_deliveries (delivery)
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_event ON webhook_deliveries (event_id)",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_received ON webhook_deliveries (received_at)",
    """
    CREATE INDEX IF NOT EXISTS webhook_deliveries_rejected ON webhook_deliveries (delivery)
        WHERE outcome = 'rejected'""",
]
