"""Liveness (`/health`) and readiness (`/ready`, which runs the service's checks)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Request

from shared.http.responses import JsonResponse

Check = Callable[[], Awaitable[object]]


def health_router(service: str, checks: Mapping[str, Check] | None = None) -> APIRouter:
    router = APIRouter(tags=["health"])
    named = dict(checks or {})

    @router.get("/health", include_in_schema=False)
    async def health() -> JsonResponse:
        return JsonResponse({"status": "ok", "service": service})

    @router.get("/ready", include_in_schema=False)
    async def ready(request: Request) -> JsonResponse:
        extra: Mapping[str, Check] = getattr(request.app.state, "readiness_checks", {})
        failed: dict[str, str] = {}
        for name, check in {**named, **extra}.items():
            try:
                await asyncio.wait_for(check(), 2.0)
            except Exception as exc:
                failed[name] = f"{type(exc).__name__}: {exc}"
        status = 503 if failed else 200
        return JsonResponse(
            {"status": "unready" if failed else "ready", "service": service, "failed": failed},
            status_code=status,
        )

    return router
