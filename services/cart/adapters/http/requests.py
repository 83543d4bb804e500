"""The request bodies the cart service accepts, as the SDK sends them (`data` already unwrapped)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from services.cart.adapters.http.limits import (
    CUSTOM_INPUTS,
    MAX_CURRENCIES,
    MAX_TEXT,
    PROMOTION_SCHEMA,
    bounded,
)
from services.cart.domain.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from shared.contracts.values import ProductPrice
from shared.http.dates import UtcDateTime, UtcDateTimeEnd

MAX_QUANTITY = 1_000_000
MAX_AMOUNT = 10**12
"""The largest price in minor units: MAX_AMOUNT x MAX_QUANTITY stays inside PostgreSQL's and JSON's
64-bit integers, so no line or total of a cart can overflow them."""

CustomInputs = Annotated[
    dict[str, Any],
    bounded(CUSTOM_INPUTS),
    Field(
        description=(
            f"Free-form inputs of the line: at most {CUSTOM_INPUTS.entries} entries in all (nested ones "
            f"included), {CUSTOM_INPUTS.depth} levels deep, each key and text at most {MAX_TEXT} characters"
        ),
        json_schema_extra={"maxProperties": CUSTOM_INPUTS.entries},
    ),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class CartRequest(Body):
    name: str = Field(default="Cart", max_length=255)
    description: str = Field(default="", max_length=2000)
    id: str | None = Field(default=None, max_length=MAX_TEXT)


class CartItemRequest(Body):
    type: Literal["cart_item"]
    id: str | None = Field(default=None, min_length=1, max_length=255)
    sku: str | None = Field(default=None, min_length=1, max_length=255)
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)
    custom_inputs: CustomInputs = {}


class CustomItemPrice(Body):
    # Never below 0: a shopper-priced line could otherwise make an order's total negative, an order
    # nobody can pay (discounts come from promotions, which stop at the cart's value).
    amount: StrictInt = Field(ge=0, le=MAX_AMOUNT)
    includes_tax: StrictBool = True


class CustomItemRequest(Body):
    type: Literal["custom_item"]
    name: str = Field(min_length=1, max_length=255)
    sku: str = Field(default="", max_length=255)
    description: str = Field(default="", max_length=2000)
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)
    price: CustomItemPrice


class PromotionItemRequest(Body):
    type: Literal["promotion_item"]
    code: str = Field(min_length=1, max_length=255)


class UpdateItemRequest(Body):
    quantity: StrictInt = Field(ge=0, le=MAX_QUANTITY)
    id: str | None = Field(default=None, max_length=MAX_TEXT)
    type: str | None = Field(default=None, max_length=MAX_TEXT)


class TaxItemRequest(Body):
    type: Literal["tax_item"] = "tax_item"
    name: str = Field(default="", max_length=255)
    jurisdiction: str = Field(default="", max_length=255)
    code: str = Field(default="", max_length=255)
    rate: float | int | Annotated[str, Field(max_length=32)]


class AddressRequest(Body):
    first_name: str = Field(min_length=1, max_length=255)
    last_name: str = Field(min_length=1, max_length=255)
    line_1: str = Field(min_length=1, max_length=255)
    postcode: str = Field(min_length=1, max_length=64)
    country: str = Field(min_length=1, max_length=64)
    company_name: str = Field(default="", max_length=255)
    line_2: str = Field(default="", max_length=255)
    city: str = Field(default="", max_length=255)
    county: str = Field(default="", max_length=255)
    region: str = Field(default="", max_length=255)
    phone_number: str = Field(default="", max_length=64)
    instructions: str = Field(default="", max_length=1000)


class CheckoutCustomer(Body):
    id: str | None = Field(default=None, min_length=1, max_length=255)
    name: str | None = Field(default=None, min_length=1, max_length=255)
    email: str | None = Field(default=None, min_length=3, max_length=254)


class CheckoutRequest(Body):
    customer: CheckoutCustomer
    billing_address: AddressRequest
    shipping_address: AddressRequest | None = None
    order_number: str | None = Field(default=None, max_length=255)
    external_ref: str | None = Field(default=None, max_length=64)


class ProductPriceRequest(ProductPrice):
    """A price in the currency's minor units (at most 10^12, like a custom item's)."""

    # Bounded because an unbounded price was stored, and then every cart holding the product
    # answered 500: its line value no longer fit in 64 bits.
    amount: int = Field(ge=0, le=MAX_AMOUNT)


class ProductRequest(Body):
    type: Literal["product"] = "product"
    name: str = Field(min_length=1, max_length=255)
    slug: str = Field(default="", max_length=255)
    sku: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=10_000)
    status: Literal["live", "draft"] = "live"
    commodity_type: Literal["physical", "digital"] = "physical"
    manage_stock: StrictBool = False
    price: list[ProductPriceRequest] = Field(default_factory=list, max_length=MAX_CURRENCIES)
    id: str | None = None


class CurrencyAmount(BaseModel):
    """One `{"currency": "USD", "amount": 500}` of a promotion's `min_cart_value` or `max_discount_value`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    currency: str = Field(pattern=r"^[A-Za-z]{3}$")
    amount: StrictInt = Field(ge=0, le=MAX_AMOUNT)


class PromotionRequest(Body):
    """A cart-level promotion. Every setting given is honoured or refused (400): a setting Elastic
    Path has but this service does not apply, or a member it does not know, is never dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str | None = Field(default=None, max_length=MAX_TEXT, description="Ignored: the path names it")
    type: Literal["promotion"] = "promotion"
    name: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=2000)
    enabled: StrictBool = False
    automatic: StrictBool = False
    promotion_type: Literal["fixed_discount", "percent_discount"]
    schema_: Annotated[dict[str, Any], bounded(PROMOTION_SCHEMA)] = Field(alias="schema")
    start: UtcDateTime
    end: UtcDateTimeEnd
    min_cart_value: list[CurrencyAmount] = Field(default=[], max_length=MAX_CURRENCIES)
    max_discount_value: list[CurrencyAmount] = Field(default=[], max_length=MAX_CURRENCIES)
    max_applications_per_cart: StrictInt | None = Field(
        default=None, description="Elastic Path's limit for item-level promotions only: absent or 0"
    )


class PromotionCodeRequest(Body):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=255)
    uses: StrictInt | None = Field(default=None, ge=1)
    user: str | None = Field(default=None, max_length=MAX_TEXT)
    consume_unit: Literal["per_cart"] | None = Field(
        default=None, description="`per_cart` (the default): `per_item` is for item-level promotions"
    )


class PromotionCodesRequest(Body):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    type: Literal["promotion_codes"] = "promotion_codes"
    codes: list[PromotionCodeRequest] = Field(min_length=1, max_length=1000)


def new_password(description: str) -> Any:
    """An optional password member within the limits every new password keeps."""
    return Field(
        default=None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH, description=description
    )


class CustomerRequest(Body):
    type: Literal["customer"] = "customer"
    name: str = Field(min_length=1, max_length=255)
    email: str = Field(min_length=3, max_length=254)
    password: str | None = new_password(f"At least {MIN_PASSWORD_LENGTH} characters")
    external_ref: str | None = Field(default=None, max_length=255)


class CustomerTokenRequest(Body):
    type: Literal["token"] = "token"
    authentication_mechanism: Literal["password"] = "password"
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)  # older, shorter ones still sign in
