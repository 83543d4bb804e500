"""Liveness (`GET /health`) and readiness (`GET /ready`) for supervisors and `make start`.

Liveness says only that the process answers; readiness runs the service's named checks
(database ping, broker connected, ...) concurrently, each with a timeout, and answers 503
naming the ones that failed, so whoever waits knows what for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Request

from shared.http.responses import JsonResponse

Check = Callable[[], Awaitable[object]]
"""An async callable that returns (anything) when healthy and raises when not."""

CHECK_TIMEOUT_SECONDS = 2.0


async def _failure(check: Check, timeout: float) -> str | None:
    """None when the check passes, else why it failed."""
    try:
        await asyncio.wait_for(check(), timeout)
    except TimeoutError:
        return f"timed out after {timeout:g}s"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def health_router(
    service: str, checks: Mapping[str, Check] | None = None, *, timeout: float = CHECK_TIMEOUT_SECONDS
) -> APIRouter:
    """The two probes. Checks added later to `app.state.readiness_checks` run too."""
    router = APIRouter(tags=["health"])
    named = dict(checks or {})

    @router.get("/health", include_in_schema=False)
    async def health() -> JsonResponse:
        return JsonResponse({"status": "ok", "service": service})

    @router.get("/ready", include_in_schema=False)
    async def ready(request: Request) -> JsonResponse:
        extra: Mapping[str, Check] = getattr(request.app.state, "readiness_checks", {})
        everything = {**named, **extra}
        failures = await asyncio.gather(*(_failure(check, timeout) for check in everything.values()))
        failed = {name: why for name, why in zip(everything, failures, strict=True) if why is not None}
        return JsonResponse(
            {
                "status": "unready" if failed else "ready",
                "service": service,
                "checks": {name: failed.get(name, "ok") for name in everything},
                "failed": failed,
            },
            status_code=503 if failed else 200,
        )

    return router
