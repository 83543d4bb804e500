"""Composition root of the cart service: settings, runtime, and the HTTP API."""

from __future__ import annotations

from typing import ClassVar

from fastapi import FastAPI
from pydantic import SecretStr

from services.cart.adapters.consumers import cart_consumer
from services.cart.adapters.email_claims import with_claims_indexed
from services.cart.adapters.http import cart_customers, carts, checkout, customers, products, promotions
from services.cart.adapters.http.sign_in_throttle import SignInThrottle
from services.cart.adapters.password_hasher import PasswordHasher
from services.cart.adapters.tables import CART_DDL
from services.cart.domain.order_ids import OrderIds
from services.cart.projections.catalogue import CatalogueProjection
from services.cart.projections.customer_carts import CustomerCartsProjection
from services.cart.projections.customers import CustomersProjection
from services.cart.projections.promotions import PromotionsProjection
from shared.auth.routes import router as token_router
from shared.contracts.events import CartCheckedOut, CustomerDeleted, ProductPublished
from shared.http.app import create_app
from shared.privacy.lifespan import with_personal_data
from shared.runtime import ServiceRuntime
from shared.service import runtime_lifespan
from shared.settings import ServiceSettings

DEV_ORDER_ID_SECRET = "dev-only-order-id-secret-change-me-in-production"


class CartSettings(ServiceSettings):
    """The common settings, plus ORDER_ID_SECRET: the key order ids are derived with (every cart
    instance must share it; changing it changes only the ids of checkouts still to come)."""

    service_name: str = "cart"
    http_port: int = 8001
    order_id_secret: SecretStr = SecretStr(DEV_ORDER_ID_SECRET)

    published_secrets: ClassVar[frozenset[str]] = ServiceSettings.published_secrets | {DEV_ORDER_ID_SECRET}


def build_runtime(settings: CartSettings) -> ServiceRuntime:
    return ServiceRuntime(
        "cart",
        database_url=settings.database_url,
        kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
        topic_prefix=settings.topic_prefix,
        ddl=CART_DDL,
        projections=[
            CatalogueProjection(),
            PromotionsProjection(),
            CustomersProjection(),
            CustomerCartsProjection(),
        ],
        consumers=[cart_consumer],
        publishes=[CartCheckedOut.event_type, CustomerDeleted.event_type, ProductPublished.event_type],
        pool_size=settings.db_pool_size,
        consumer_group_suffix=settings.consumer_group_suffix,
        outbox_relay=settings.outbox_relay,
    )


def create_cart_app(settings: CartSettings | None = None) -> FastAPI:
    settings = settings or CartSettings()
    runtime = build_runtime(settings)

    app = create_app(
        settings,
        title="Cart service",
        lifespan=with_personal_data(with_claims_indexed(runtime_lifespan(runtime))),
        checks=runtime.readiness_checks(),
    )
    app.state.order_ids = OrderIds(settings.order_id_secret.get_secret_value().encode())
    app.state.password_hasher = PasswordHasher()
    app.state.sign_in_throttle = SignInThrottle()
    app.include_router(token_router)
    for module in (cart_customers, carts, checkout, products, promotions, customers):
        app.include_router(module.router)
    return app
