"""The payment use cases' dependencies, as the composition root put them on the app."""

from __future__ import annotations

from fastapi import Request

from services.payment.application.context import Payments


def payments_of(request: Request) -> Payments:
    payments = request.app.state.payments
    assert isinstance(payments, Payments), "services.payment.bootstrap.create_app puts Payments on app.state"
    return payments
