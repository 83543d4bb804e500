"""Domain events of the cart service (internal; the public facts are in shared.contracts.events)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import field_validator

from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import Address, Customer, ProductPrice, Totals

CART_EVENTS = EventRegistry("cart service")


class TaxLine(VersionedEvent):
    """A tax item on a cart line (rate as a decimal fraction string, e.g. "0.2")."""

    id: str
    name: str = ""
    jurisdiction: str = ""
    code: str = ""
    rate: str


# -- carts ---------------------------------------------------------------------------------


@CART_EVENTS.register
class CartCreated(VersionedEvent):
    name: str = "Cart"
    description: str = ""
    at: datetime


@CART_EVENTS.register
class CartRenamed(VersionedEvent):
    name: str
    description: str
    at: datetime


class NewLine(VersionedEvent):
    """A line as it joins a cart, by `CartItemAdded` or a merge (`merging.MergedLine`): one shape,
    so the cart folds both the same way."""

    item_id: str
    type: str  # cart_item | custom_item
    product_id: str | None = None
    sku: str = ""
    slug: str = ""
    name: str = ""
    description: str = ""
    quantity: int
    unit_price: ProductPrice
    manage_stock: bool = False
    custom_inputs: dict[str, Any] = {}


@CART_EVENTS.register
class CartItemAdded(NewLine):
    """A product (`cart_item`) or a free-form `custom_item` line joined the cart.

    v2 keeps the line's unit price as one value (amount, currency, includes_tax), the shape of
    `ProductPrice` everywhere else, instead of v1's three loose fields; v1 events stay in every
    store and are upcast on read (`_unit_price_in_one_value`).
    """

    schema_version: ClassVar[int] = 2

    at: datetime


@CART_EVENTS.upcaster("CartItemAdded", from_version=1)
def _unit_price_in_one_value(data: dict[str, Any]) -> dict[str, Any]:
    """v1 -> v2: `unit_amount`, `currency`, `includes_tax` become `unit_price`."""
    data["unit_price"] = {
        "amount": data.pop("unit_amount"),
        "currency": data.pop("currency"),
        "includes_tax": data.pop("includes_tax", False),
    }
    return data


@CART_EVENTS.register
class CartItemQuantityChanged(VersionedEvent):
    item_id: str
    quantity: int
    at: datetime


@CART_EVENTS.register
class CartItemRemoved(VersionedEvent):
    item_id: str
    at: datetime


@CART_EVENTS.register
class CartItemsCleared(VersionedEvent):
    at: datetime


@CART_EVENTS.register
class CartItemTaxAdded(VersionedEvent):
    item_id: str
    tax: TaxLine
    at: datetime


@CART_EVENTS.register
class CartItemTaxRemoved(VersionedEvent):
    item_id: str
    tax_id: str
    at: datetime


@CART_EVENTS.register
class PromotionCodeApplied(VersionedEvent):
    code: str
    promotion_id: str
    at: datetime


@CART_EVENTS.register
class PromotionCodeRemoved(VersionedEvent):
    code: str
    at: datetime


@CART_EVENTS.register
class CartWasCheckedOut(VersionedEvent):
    """The cart, as it stood at `cart_version`, became order `order_id`."""

    event_type: ClassVar[str] = "CartCheckedOut"  # the stored name: events already written carry it

    order_id: str
    cart_version: int
    customer: Customer
    billing_address: Address
    shipping_address: Address
    totals: Totals
    promotion_codes: list[str] = []
    at: datetime


@CART_EVENTS.register
class CartDeleted(VersionedEvent):
    at: datetime


# -- catalogue -----------------------------------------------------------------------------


@CART_EVENTS.register
class ProductDefined(VersionedEvent):
    """A product's full state after a create, an update, or an import from another catalogue."""

    sku: str
    name: str
    slug: str = ""
    description: str = ""
    status: str = "live"
    commodity_type: str = "physical"
    price: list[ProductPrice] = []
    manage_stock: bool = False
    source: str = "api"  # api | the producer of an imported ProductPublished
    at: datetime


@CART_EVENTS.register
class ProductDeleted(VersionedEvent):
    at: datetime


# -- promotions ----------------------------------------------------------------------------


@CART_EVENTS.register
class PromotionDefined(VersionedEvent):
    """A promotion's full definition after a create or an update (Elastic Path's standard promotions)."""

    name: str
    description: str = ""
    enabled: bool = False
    automatic: bool = False
    promotion_type: str  # fixed_discount | percent_discount
    promotion_schema: dict[str, Any]
    start: datetime
    end: datetime
    min_cart_value: list[dict[str, Any]] = []
    max_discount_value: list[dict[str, Any]] = []
    at: datetime

    @field_validator("start", "end")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        """Requests give UTC (shared/http/dates.py); promotions stored before that could hold times
        without an offset, which meant UTC and would make every comparison with the clock raise."""
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@CART_EVENTS.register
class PromotionCodesAdded(VersionedEvent):
    codes: list[dict[str, Any]]  # {id, code, uses?, user?}
    at: datetime


@CART_EVENTS.register
class PromotionCodeDeleted(VersionedEvent):
    code_id: str
    at: datetime


@CART_EVENTS.register
class PromotionCodeUsed(VersionedEvent):
    code: str
    order_id: str
    at: datetime


@CART_EVENTS.register
class PromotionDeleted(VersionedEvent):
    at: datetime


# -- customers -----------------------------------------------------------------------------


@CART_EVENTS.register
class CustomerRegistered(VersionedEvent):
    name: str
    email: str
    password_hash: str | None = None
    external_ref: str | None = None
    at: datetime


@CART_EVENTS.register
class CustomerUpdated(VersionedEvent):
    name: str
    email: str
    external_ref: str | None = None
    at: datetime
