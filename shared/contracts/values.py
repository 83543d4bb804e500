"""Value objects shared by the integration events. Money is integers in minor units, never floats."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Money(Value):
    """An amount in the currency's minor units (47500 USD is $475.00)."""

    amount: int
    currency: str = Field(min_length=3, max_length=3)


class Address(Value):
    first_name: str
    last_name: str
    line_1: str
    postcode: str
    country: str
    company_name: str = ""
    line_2: str = ""
    city: str = ""
    county: str = ""
    region: str = ""
    phone_number: str = ""
    instructions: str = ""


class Customer(Value):
    """Who checked out: a guest (name, email) or an existing customer (with its id)."""

    name: str
    email: str
    id: str | None = None
    email_index: str | None = None  # a keyed hash of the email when it is sealed (shared/privacy)


class Totals(Value):
    """The order's money, as Elastic Path's `meta.display_price` adds it up."""

    currency: str
    with_tax: int
    without_tax: int
    tax: int = 0
    discount: int = 0
    without_discount: int = 0


class OrderLine(Value):
    """One line of a checked-out cart: a product, a custom item or a promotion."""

    id: str
    type: str = "cart_item"  # cart_item | custom_item | promotion_item
    product_id: str | None = None
    sku: str = ""
    name: str = ""
    quantity: int = Field(ge=0)
    manage_stock: bool = False
    unit_price: Money
    value: Money
    tax: int = 0
    discount: int = 0


class StockLine(Value):
    """A quantity of one product, in stock movements."""

    product_id: str
    quantity: int = Field(gt=0)


class ProductPrice(Value):
    amount: int
    currency: str
    includes_tax: bool = False
