"""The FastAPI app every service starts from: EP errors, correlation ids, health, orjson.

`create_app` stores the settings on `app.state.settings`; the auth dependencies (`shared.auth`)
and the token endpoint read the JWT secret and the client credentials from there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from shared.http.correlation import CorrelationIdMiddleware
from shared.http.handlers import install_error_handlers
from shared.http.health import Check, health_router
from shared.http.nul_parameters import RejectNulParametersMiddleware
from shared.http.responses import JsonResponse
from shared.metrics import install_metrics
from shared.settings import ServiceSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    lifespan: Lifespan | None = None,
    checks: Mapping[str, Check] | None = None,
) -> FastAPI:
    """A service's app; add its routers, and `shared.auth.token_router(settings)` where it issues tokens.

    Starlette parses query strings from the raw bytes, so the SDK's unencoded
    `page[limit]=10&filter=eq(status,complete):eq(payment,paid)` (ep-api.md §1.4) reaches
    `request.query_params` intact, as does the %-encoded form.
    """
    app = FastAPI(
        title=title,
        default_response_class=JsonResponse,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(RejectNulParametersMiddleware)  # inside the correlation id: its 400 carries one
    app.add_middleware(CorrelationIdMiddleware)
    app.include_router(health_router(settings.service_name, checks))
    install_metrics(app)
    return app
