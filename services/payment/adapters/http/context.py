"""The payment use cases' dependencies, as the composition root put them on the app."""

from __future__ import annotations

from fastapi import Request

from services.payment.application.context import Payments
from shared.eventstore.unit_of_work import Database


def payments_of(request: Request) -> Payments:
    payments = request.app.state.payments
    assert isinstance(payments, Payments), "services.payment.bootstrap.create_app puts Payments on app.state"
    return payments


def database_of(request: Request) -> Database:
    """The service's PostgreSQL database, for what the HTTP adapters keep there themselves (the
    Idempotency-Key answers, the webhook delivery log)."""
    database = request.app.state.database
    assert isinstance(database, Database), "create_app puts the Database on app.state"
    return database
