"""Running a service process: its runtime inside the HTTP app's lifespan, served by uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import uvicorn
from fastapi import FastAPI, Request

from shared.eventstore.unit_of_work import Database
from shared.logging import configure_logging
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings


def runtime_lifespan(runtime: ServiceRuntime) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start the database, relay, consumers and projections with the app; stop them after it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()

    return lifespan


def runtime_of(request: Request) -> ServiceRuntime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, ServiceRuntime)
    return runtime


def database_of(request: Request) -> Database:
    return runtime_of(request).database


def base_url(request: Request) -> str:
    """Links in documents point at the public entry point when it is configured."""
    configured = request.app.state.settings.public_base_url
    return str(configured or str(request.base_url)).rstrip("/")


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    configure_logging(settings.service_name, level=settings.log_level, fmt=settings.log_format)
    settings.warn_about_defaults()
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
