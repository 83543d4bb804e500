"""The cart service's own tables besides the kernel's.

Uniqueness guards (`product_skus`, `customer_emails`, `promotion_codes`) are written in the same
transaction as the events that claim a sku, an email or a code, so two writers can never both
win. `customer_emails` holds the email's keyed index when personal data is sealed (the email itself
otherwise; `application.customer_privacy`). `stock_levels` is the availability that the inventory
service publishes.

`automatic_promotions` lists the enabled promotions with `automatic: true`, written in the same
transaction as their definition, so every cart prices with them from the moment they are stored.
It is filled once from the event log when it is first created (promotions stored as automatic
before carts applied them start applying then).
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
    DO $$
    BEGIN
        IF to_regclass('automatic_promotions') IS NULL THEN
            CREATE TABLE automatic_promotions (promotion_id text PRIMARY KEY);
            INSERT INTO automatic_promotions (promotion_id)
            SELECT substr(latest.stream_id, length('promotion-') + 1)
            FROM (
                SELECT DISTINCT ON (stream_id) stream_id, data
                FROM events
                WHERE stream_type = 'promotion' AND event_type = 'PromotionDefined'
                ORDER BY stream_id, version DESC
            ) AS latest
            WHERE latest.data->>'automatic' = 'true' AND latest.data->>'enabled' = 'true'
              AND NOT EXISTS (
                  SELECT 1 FROM events AS gone
                  WHERE gone.stream_id = latest.stream_id AND gone.event_type = 'PromotionDeleted'
              );
        END IF;
    END $$""",
    """
    CREATE TABLE IF NOT EXISTS stock_levels (
        product_id text PRIMARY KEY,
        available  bigint NOT NULL,
        managed    boolean NOT NULL,
        version    integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    )""",
]
