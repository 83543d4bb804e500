"""The cart service's own tables besides the kernel's.

Uniqueness guards (`product_skus`, `customer_emails`, `promotion_codes`) are written in the same
transaction as the events that claim a sku, an email or a code, so two writers can never both
win. `stock_levels` is the availability that the inventory service publishes.
"""

from __future__ import annotations

CART_DDL = [
    """
    CREATE TABLE IF NOT EXISTS product_skus (
        sku        text PRIMARY KEY,
        product_id text NOT NULL UNIQUE
    )""",
    """
    CREATE TABLE IF NOT EXISTS customer_emails (
        email       text PRIMARY KEY,
        customer_id text NOT NULL UNIQUE
    )""",
    """
    CREATE TABLE IF NOT EXISTS promotion_codes (
        code         text PRIMARY KEY,
        promotion_id text NOT NULL
    )""",
    """
    CREATE TABLE IF NOT EXISTS stock_levels (
        product_id text PRIMARY KEY,
        available  bigint NOT NULL,
        managed    boolean NOT NULL,
        version    integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    )""",
]
