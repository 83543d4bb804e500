"""The FastAPI app every service starts from: EP errors, correlation ids, health, orjson."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from uuid import uuid4

from fastapi import FastAPI, Request, Response

from shared.http.errors import install_error_handlers
from shared.http.health import Check, health_router
from shared.http.responses import JsonResponse
from shared.settings import ServiceSettings
from shared.tracing import traced

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    lifespan: Lifespan | None = None,
    checks: Mapping[str, Check] | None = None,
) -> FastAPI:
    app = FastAPI(
        title=title,
        default_response_class=JsonResponse,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health_router(settings.service_name, checks))

    @app.middleware("http")
    async def correlate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        correlation_id = request.headers.get("x-correlation-id") or str(uuid4())
        with traced(correlation_id, f"http:{request.method} {request.url.path}"):
            response = await call_next(request)
        response.headers["X-Correlation-ID"] = correlation_id
        return response

    return app
