"""The request bodies the payment endpoints accept, as the SDK sends them (`data` unwrapped)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

MAX_AMOUNT = 10**12


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class PaymentMethodMeta(Body):
    name: str = Field(default="", max_length=255)
    custom_reference: str = Field(default="", max_length=255)


class PaymentBody(Body):
    """`{gateway, method}`; Stripe adds the PaymentMethod id in `payment`. `amount` asks for a
    split payment of part of the balance owing (never more; the currency is the order's)."""

    gateway: Literal["manual", "stripe_payment_intents"]
    method: Literal["authorize", "purchase"]
    amount: StrictInt | None = Field(default=None, ge=1, le=MAX_AMOUNT)
    payment: str | None = Field(default=None, min_length=1, max_length=255)
    paymentmethod_meta: PaymentMethodMeta | None = None
    options: dict[str, Any] = {}


class CaptureBody(Body):
    """Elastic Path's capture takes no amount; one may be given to capture part of it."""

    amount: StrictInt | None = Field(default=None, ge=1, le=MAX_AMOUNT)
    custom_reference: str | None = Field(default=None, max_length=255)


class RefundBody(Body):
    """No `amount` means "Mark as Refunded": the rest of the capture, with no gateway call."""

    amount: StrictInt | None = Field(default=None, ge=1, le=MAX_AMOUNT)
    options: dict[str, Any] = {}


class CancelBody(Body):
    reason: str = Field(default="", max_length=255)
    options: dict[str, Any] = {}


class GatewayBody(Body):
    """Elastic Path's gateway update: `enabled`, and Stripe's secret key in `login` (write-only:
    kept when not given, never answered). Either may be left out; what is given changes."""

    enabled: StrictBool | None = None
    login: str | None = Field(default=None, min_length=1, max_length=255)
