"""Composition root of the cart service: its runtime, and the HTTP API that runs it."""

from __future__ import annotations

from fastapi import FastAPI

from services.cart.adapters.consumers import build_cart_consumer
from services.cart.adapters.email_claims import with_claims_indexed
from services.cart.adapters.http import cart_customers, carts, checkout, customers, products, promotions
from services.cart.adapters.http.sign_in_throttle import SignInThrottle
from services.cart.adapters.password_hasher import PasswordHasher
from services.cart.adapters.postgres import provide_postgres_tables
from services.cart.adapters.tables import CART_DDL
from services.cart.domain.order_ids import OrderIds
from services.cart.projections.catalogue import CatalogueProjection
from services.cart.projections.customer_carts import CustomerCartsProjection
from services.cart.projections.customers import CustomersProjection
from services.cart.projections.promotions import PromotionsProjection
from services.cart.settings import Settings
from shared.auth.routes import router as token_router
from shared.contracts.events import CartCheckedOut, CustomerDeleted, ProductPublished
from shared.privacy.lifespan import with_personal_data
from shared.runtime import ServiceRuntime
from shared.service import service_app

PUBLISHES = [CartCheckedOut.event_type, CustomerDeleted.event_type, ProductPublished.event_type]


def build_runtime(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime.of_service(
        "cart",
        settings,
        ddl=CART_DDL,
        projections=[
            CatalogueProjection(),
            PromotionsProjection(),
            CustomersProjection(),
            CustomerCartsProjection(),
        ],
        consumers=[build_cart_consumer()],
        publishes=PUBLISHES,
    )
    provide_postgres_tables(runtime.database.adapters)  # the cart's own tables (application/ports.py)
    return runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(settings)

    routers = [token_router] + [
        m.router for m in (cart_customers, carts, checkout, products, promotions, customers)
    ]
    app = service_app(
        settings,
        runtime,
        title="Cart service",
        routers=routers,
        around=lambda lifespan: with_personal_data(with_claims_indexed(lifespan)),
    )
    app.state.order_ids = OrderIds(settings.order_id_secret.get_secret_value().encode())
    app.state.password_hasher = PasswordHasher()
    app.state.sign_in_throttle = SignInThrottle()
    return app
