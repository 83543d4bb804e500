"""A service's `PersonalData` opens and closes with its app (around the runtime's own lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request

from shared.privacy.personal_data import PersonalData

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def with_personal_data(inner: Lifespan) -> Lifespan:
    """`inner`, with `app.state.personal_data` open before it starts and closed after it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        personal = PersonalData.from_environ()
        await personal.open()
        app.state.personal_data = personal
        try:
            async with inner(app):
                yield
        finally:
            await personal.close()

    return lifespan


def personal_data_of(request: Request) -> PersonalData:
    personal = request.app.state.personal_data
    assert isinstance(personal, PersonalData)
    return personal


def personal_data_if_any(request: Request) -> PersonalData | None:
    """The service's `PersonalData`, or None in a service that keeps no personal data (no
    `with_personal_data` around its lifespan): for code every service shares."""
    personal = getattr(request.app.state, "personal_data", None)
    return personal if isinstance(personal, PersonalData) else None
