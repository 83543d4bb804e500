"""The payment service's settings: the common ones plus Stripe's and its time limits."""

from __future__ import annotations

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """From the environment, besides DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, JWT_SECRET...

    - STRIPE_API_KEY: seeds the `stripe_payment_intents` gateway, enabled with this key (unset:
      disabled). Seeds only: once the store has a configuration, `/v2/gateways` alone changes it.
    - PAYMENT_MANUAL_GATEWAY_ENABLED: seeds the `manual` gateway enabled (default) or not.
    - STRIPE_API_BASE: another Stripe API (localstripe); unset means the real Stripe.
    - STRIPE_WEBHOOK_SECRET: verifies `POST /v2/webhooks/stripe`; unset refuses every webhook.
    - WEBHOOK_REJECTED_KEPT: how many rejected (forged or unsigned) deliveries the log keeps.
    - PAYMENT_ALLOCATION_TIMEOUT_SECONDS: how long a payment waits for inventory's allocation.
    - PAYMENT_ORDER_WAIT_SECONDS: how long a request waits for a checkout not consumed yet.
    - PAYMENT_RECONCILE_INTERVAL_SECONDS: how often abandoned transactions are finished.
    - PAYMENT_SESSION_POOL_SIZE: connections for operations in progress (each holds one).
    """

    service_name: str = "payment"
    http_port: int = 8003
    stripe_api_key: SecretStr = SecretStr("")
    stripe_api_base: str = ""
    stripe_webhook_secret: SecretStr = SecretStr("")
    webhook_rejected_kept: int = Field(default=1000, ge=1)
    payment_manual_gateway_enabled: bool = True
    stripe_max_network_retries: int = Field(default=1, ge=0, le=5)
    payment_allocation_timeout_seconds: float = Field(default=10.0, gt=0)
    payment_order_wait_seconds: float = Field(default=5.0, ge=0)
    payment_lock_wait_seconds: float = Field(default=2.0, ge=0)
    payment_reconcile_interval_seconds: float = Field(default=30.0, gt=0)
    payment_session_pool_size: int = Field(default=20, gt=0)
