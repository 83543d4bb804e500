"""Composition root of the payment service: gateways, runtime, reconciler and the HTTP API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.payment.adapters.consumers import build_payment_consumer
from services.payment.adapters.gateways.faults import KillAfter
from services.payment.adapters.gateways.manual import ManualGateway
from services.payment.adapters.gateways.stripe import StripeGateway
from services.payment.adapters.http import gateways as gateway_routes
from services.payment.adapters.http import payments, transactions, webhooks
from services.payment.adapters.postgres.locking import PostgresTransactionLocks
from services.payment.adapters.postgres.tables import PostgresTransactionReads, provide_tables
from services.payment.adapters.tables import PAYMENT_DDL
from services.payment.application.context import Payments
from services.payment.application.gateway_config import list_gateways, seed_gateways
from services.payment.application.ports import Gateway
from services.payment.application.reconciler import reconcile_forever
from services.payment.domain.gateway_settings import MANUAL, STRIPE_PAYMENT_INTENTS
from services.payment.settings import Settings
from shared.auth.routes import router as token_router
from shared.contracts import events as contracts
from shared.runtime import ServiceRuntime
from shared.service import service_app

log = logging.getLogger(__name__)
QUIET_LOGGERS = ("stripe", "httpx")  # one INFO line per Stripe request (three with httpx) is noise

PUBLISHES = [
    contracts.StockAllocationRequested.event_type,
    contracts.PaymentAuthorized.event_type,
    contracts.PaymentCaptured.event_type,
    contracts.PaymentFailed.event_type,
    contracts.PaymentRefunded.event_type,
    contracts.PaymentCancelled.event_type,
]


def build_runtime(settings: Settings) -> ServiceRuntime:
    """The service's runtime (its consumer's commits wake the payments waiting in this process),
    its database providing the adapters of the payment's tables (so does every tool that builds it,
    `checkout-admin webhooks retry` applying a webhook as the service would)."""
    runtime = ServiceRuntime.of_service(
        "payment",
        settings,
        ddl=PAYMENT_DDL,
        consumers=[build_payment_consumer(in_process_gateways())],
        publishes=PUBLISHES,
    )
    provide_tables(runtime.database)
    return runtime


def in_process_gateways() -> dict[str, Gateway]:
    """The gateways that never leave the process: the consumer charges them with inventory's answer."""
    return {MANUAL: ManualGateway()}


def build_gateways(settings: Settings, kill_after: KillAfter) -> dict[str, Gateway]:
    """Both adapters; whether each is enabled, and Stripe's key, come from `/v2/gateways`."""
    return {
        **in_process_gateways(),
        STRIPE_PAYMENT_INTENTS: StripeGateway(
            settings.stripe_api_key.get_secret_value(),
            api_base=settings.stripe_api_base,
            max_network_retries=settings.stripe_max_network_retries,
            kill_after=kill_after,
        ),
    }


def gateway_seeds(settings: Settings) -> dict[str, tuple[bool, str]]:
    """The configuration the environment gives a store that has none yet: manual as
    PAYMENT_MANUAL_GATEWAY_ENABLED says, Stripe enabled with STRIPE_API_KEY when it is set."""
    api_key = settings.stripe_api_key.get_secret_value()
    return {
        MANUAL: (settings.payment_manual_gateway_enabled, ""),
        STRIPE_PAYMENT_INTENTS: (bool(api_key), api_key),
    }


def create_app(settings: Settings | None = None) -> FastAPI:
    """The HTTP API on the runtime, which also keeps the payments' sessions and gateways open (the
    requests and the reconciler share them) and runs the reconciler, cancelled before they close."""
    settings = settings or Settings()
    runtime = build_runtime(settings)
    kill_after = KillAfter.from_environment()
    gateways = build_gateways(settings, kill_after)
    context = Payments(
        database=runtime.database,
        gateways=gateways,
        locks=PostgresTransactionLocks(runtime.database, pool_size=settings.payment_session_pool_size),
        reads=PostgresTransactionReads(runtime.database),
        allocation_timeout=settings.payment_allocation_timeout_seconds,
        order_wait=settings.payment_order_wait_seconds,
        lock_wait=settings.payment_lock_wait_seconds,
    )

    @asynccontextmanager
    async def payments_open() -> AsyncIterator[None]:
        """The locks' sessions pool and the gateways, their configuration seeded (a started runtime)."""
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))
        if kill_after.operations:
            log.warning(
                "test hook: killing the process after Stripe %s", ", ".join(sorted(kill_after.operations))
            )
        await context.open()
        try:
            await seed_gateways(runtime.database, gateway_seeds(settings))
            configured = await list_gateways(runtime.database)
            log.info(
                "payment gateways enabled: %s", ", ".join(g.slug for g in configured if g.enabled) or "none"
            )
            yield
        finally:
            await context.close()
            for gateway in gateways.values():
                if isinstance(gateway, StripeGateway):
                    await gateway.close()

    interval = settings.payment_reconcile_interval_seconds
    runtime.add_resource("payments", payments_open)
    runtime.add_background("reconciler", lambda: reconcile_forever(context, interval))

    routers = [token_router] + [m.router for m in (payments, transactions, webhooks, gateway_routes)]
    app = service_app(settings, runtime, title="Payment service", routers=routers)
    app.state.payments = context
    app.state.database = runtime.database
    app.state.stripe_webhook_secret = settings.stripe_webhook_secret.get_secret_value()
    app.state.webhook_rejected_kept = settings.webhook_rejected_kept
    return app
