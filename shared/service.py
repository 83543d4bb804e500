"""Running a service process: its runtime inside the HTTP app's lifespan, served by uvicorn."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import uvicorn
from fastapi import APIRouter, FastAPI, Request

from shared.auth.revocations import start_revocations
from shared.cpu_profile import install_cpu_profile_toggle
from shared.eventstore.unit_of_work import Database
from shared.http.app import Lifespan
from shared.http.app import create_app as create_http_app
from shared.http.links import base_url as base_url  # documents' links
from shared.logging import configure_logging
from shared.relaxed_gc import settle_service_heap
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings, UnsafeSecrets


def runtime_lifespan(runtime: ServiceRuntime) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start the database, relay, consumers and projections with the app; stop them after it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        revocations = await start_revocations(app, runtime)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await revocations.stop()
            await runtime.stop()

    return lifespan


def service_app(
    settings: ServiceSettings,
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Iterable[APIRouter] = (),
    around: Callable[[Lifespan], Lifespan] = lambda lifespan: lifespan,
) -> FastAPI:
    """Every service's HTTP app alike: the runtime starts and stops with it (inside what `around`
    adds, such as the personal data keys), its readiness checks answer `/ready`, and
    `routers` serve its API, in the order given."""
    app = create_http_app(
        settings, title=title, lifespan=around(runtime_lifespan(runtime)), checks=runtime.readiness_checks()
    )
    for router in routers:
        app.include_router(router)
    return app


def runtime_of(request: Request) -> ServiceRuntime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, ServiceRuntime)
    return runtime


def database_of(request: Request) -> Database:
    return runtime_of(request).database


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the service; exit at once (status 2, the reason logged) when its secrets are public."""
    configure_logging(settings.service_name, level=settings.log_level, fmt=settings.log_format)
    try:
        settings.require_safe_secrets()
    except UnsafeSecrets as refused:
        logging.getLogger("shared.service").critical("%s", refused)
        raise SystemExit(2) from None
    settle_service_heap()
    install_cpu_profile_toggle(settings.service_name)  # CPU_PROFILE_DIR: SIGUSR2 toggles a CPU profile
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        http="httptools",  # C parser: h11, the pure-Python default, showed in every service's profile
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
