"""The cart aggregate: lines, promotion codes, and the checkouts it became.

Rules (Elastic Path's, see ep-api.md §6-§7): the currency is fixed by the first item; adding a
product already in the cart with the same custom inputs adds to its quantity; at most 100 unique
lines; quantity 0 removes a line; a stock-managed product cannot exceed what is available; an
empty cart cannot be checked out; checking out an unchanged cart again is refused (409) and names
the order it already became, so a retry never makes a second order.

A cart's stream grows with every change, and a cart can be changed for as long as it lives, so it
snapshots its state every `snapshot_every` events (shared/domain/snapshots.py): loading a cart costs
its snapshot and fewer than `snapshot_every` events after it, however long its history. What it
keeps is bounded too: at most 100 lines, bounded inputs per line, and only its latest checkout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import uuid4

from services.cart.domain.associations import (
    ONE_CUSTOMER_ONLY,
    CustomerCartAssociated,
    CustomerCartDissociated,
    CustomerCartForbidden,
)
from services.cart.domain.errors import (
    CartAlreadyCheckedOut,
    CartRuleBroken,
    InsufficientStock,
    ItemNotInCart,
)
from services.cart.domain.events import (
    CART_EVENTS,
    CartCreated,
    CartDeleted,
    CartItemAdded,
    CartItemQuantityChanged,
    CartItemRemoved,
    CartItemsCleared,
    CartItemTaxAdded,
    CartItemTaxRemoved,
    CartRenamed,
    CartWasCheckedOut,
    NewLine,
    PromotionCodeApplied,
    PromotionCodeRemoved,
    TaxLine,
)
from services.cart.domain.merging import CartItemsMerged, MergedLine, MergedQuantity
from services.cart.domain.order_ids import OrderIds
from services.cart.domain.pricing import PricedLineInput
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import Address, Customer, ProductPrice, Totals
from shared.domain.errors import DomainError
from shared.domain.snapshots import SnapshottingAggregate, moment_from_text, moment_text

MAX_UNIQUE_ITEMS = 100
MAX_QUANTITY = 1_000_000
MAX_TAX_ITEMS_PER_LINE = 5


@dataclass(frozen=True)
class ProductSnapshot:
    """What the cart needs to know of a catalogue product when it is added."""

    id: str
    sku: str
    name: str
    slug: str
    description: str
    status: str
    manage_stock: bool
    prices: dict[str, tuple[int, bool]]  # currency -> (amount, includes_tax)


@dataclass
class CartLine:
    id: str
    type: str
    quantity: int
    unit_amount: int
    currency: str
    includes_tax: bool
    product_id: str | None = None
    sku: str = ""
    slug: str = ""
    name: str = ""
    description: str = ""
    manage_stock: bool = False
    custom_inputs: dict[str, Any] = field(default_factory=dict)
    taxes: list[TaxLine] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def state(self) -> dict[str, Any]:
        """The line as JSON values, for the cart's snapshot."""
        return {
            "id": self.id,
            "type": self.type,
            "quantity": self.quantity,
            "unit_amount": self.unit_amount,
            "currency": self.currency,
            "includes_tax": self.includes_tax,
            "product_id": self.product_id,
            "sku": self.sku,
            "slug": self.slug,
            "name": self.name,
            "description": self.description,
            "manage_stock": self.manage_stock,
            "custom_inputs": self.custom_inputs,
            "taxes": [tax.model_dump(mode="json") for tax in self.taxes],
            "created_at": moment_text(self.created_at),
            "updated_at": moment_text(self.updated_at),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CartLine:
        return cls(
            **{
                **state,
                "taxes": [TaxLine.model_validate(tax) for tax in state["taxes"]],
                "created_at": moment_from_text(state["created_at"]),
                "updated_at": moment_from_text(state["updated_at"]),
            }
        )


@dataclass(frozen=True)
class Checkout:
    order_id: str
    cart_version: int
    totals: Totals


class Cart(SnapshottingAggregate):
    stream_type = "cart"
    registry: ClassVar[EventRegistry] = CART_EVENTS
    # Most carts never reach a snapshot (a few adds and a checkout); one changed for ever loads its
    # snapshot and at most 49 events. Bump `snapshot_version` whenever `snapshot_state` changes.
    snapshot_every: ClassVar[int] = 50
    # 2: a deleted cart's snapshot no longer keeps its name; 3: the associated customer
    snapshot_version: ClassVar[int] = 3

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.name = "Cart"
        self.description = ""
        self.currency: str | None = None
        self.lines: dict[str, CartLine] = {}
        self.promotion_codes: dict[str, str] = {}  # code -> promotion id
        self.last_checkout: Checkout | None = None
        self.changed_since_checkout = True
        self.customer_id: str | None = None  # the customer it is associated with, if any
        self.created_at: datetime | None = None
        self.updated_at: datetime | None = None

    def snapshot_state(self) -> dict[str, Any]:
        """Lines and codes as lists: a snapshot is stored as jsonb, which does not keep key order."""
        checkout = self.last_checkout
        return {
            "name": self.name,
            "description": self.description,
            "currency": self.currency,
            "lines": [line.state() for line in self.lines.values()],
            "promotion_codes": list(self.promotion_codes.items()),
            "last_checkout": None
            if checkout is None
            else {
                "order_id": checkout.order_id,
                "cart_version": checkout.cart_version,
                "totals": checkout.totals.model_dump(mode="json"),
            },
            "changed_since_checkout": self.changed_since_checkout,
            "customer_id": self.customer_id,
            "created_at": moment_text(self.created_at),
            "updated_at": moment_text(self.updated_at),
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        self.name, self.description, self.currency = state["name"], state["description"], state["currency"]
        self.lines = {line["id"]: CartLine.from_state(line) for line in state["lines"]}
        self.promotion_codes = {code: promotion_id for code, promotion_id in state["promotion_codes"]}
        checkout = state["last_checkout"]
        self.last_checkout = (
            None
            if checkout is None
            else Checkout(checkout["order_id"], checkout["cart_version"], Totals(**checkout["totals"]))
        )
        self.changed_since_checkout = state["changed_since_checkout"]
        self.customer_id = state["customer_id"]
        self.created_at, self.updated_at = (
            moment_from_text(state["created_at"]),
            moment_from_text(state["updated_at"]),
        )

    # -- commands -------------------------------------------------------------------------

    def ensure_created(self, now: datetime, name: str = "Cart", description: str = "") -> None:
        """Carts are created lazily: by `POST /v2/carts` or by adding the first item."""
        if self.created_at is None:
            self._record(CartCreated(name=name or "Cart", description=description, at=now))

    def rename(self, name: str, description: str, now: datetime) -> None:
        self.ensure_created(now)
        if (name, description) != (self.name, self.description):
            self._record(CartRenamed(name=name, description=description, at=now))

    def add_product(
        self,
        product: ProductSnapshot,
        quantity: int,
        *,
        currency: str,
        available: int | None,
        now: datetime,
        custom_inputs: dict[str, Any] | None = None,
    ) -> str:
        """Add `quantity` of a product; returns the line's id. `available` is None when unmanaged."""
        self._check_quantity(quantity, "data.quantity")
        if product.status != "live":
            raise CartRuleBroken("Product not available", f"Product {product.sku or product.id} is not live")
        currency = self.currency or currency
        if currency not in product.prices:
            raise CartRuleBroken(
                "Price not found",
                f"Product {product.sku or product.id} has no price in {currency}",
                meta={"id": product.id, "sku": product.sku},
            )
        inputs = custom_inputs or {}
        existing = next(
            (
                line
                for line in self.lines.values()
                if line.type == "cart_item" and line.product_id == product.id and line.custom_inputs == inputs
            ),
            None,
        )
        wanted = quantity + (existing.quantity if existing else 0)
        self._check_quantity(wanted, "data.quantity")
        if product.manage_stock and available is not None and wanted > available:
            raise InsufficientStock(product.sku, product.id, available)
        self.ensure_created(now)
        if existing is not None:
            self._record(CartItemQuantityChanged(item_id=existing.id, quantity=wanted, at=now))
            return existing.id
        self._check_room()
        amount, includes_tax = product.prices[currency]
        item_id = str(uuid4())
        self._record(
            CartItemAdded(
                item_id=item_id,
                type="cart_item",
                product_id=product.id,
                sku=product.sku,
                slug=product.slug,
                name=product.name,
                description=product.description,
                quantity=quantity,
                unit_price=ProductPrice(amount=amount, currency=currency, includes_tax=includes_tax),
                manage_stock=product.manage_stock,
                custom_inputs=inputs,
                at=now,
            )
        )
        return item_id

    def add_custom_item(
        self,
        *,
        name: str,
        sku: str,
        description: str,
        quantity: int,
        amount: int,
        includes_tax: bool,
        currency: str,
        now: datetime,
    ) -> str:
        """A free-form line (shipping, customs, taxes...). Only shoppers' implicit tokens may add one."""
        self._check_quantity(quantity, "data.quantity")
        if abs(amount) > 10**12:
            raise CartRuleBroken("Invalid price", "price.amount is out of range", source="data.price.amount")
        self.ensure_created(now)
        self._check_room()
        item_id = str(uuid4())
        self._record(
            CartItemAdded(
                item_id=item_id,
                type="custom_item",
                sku=sku,
                name=name,
                description=description,
                quantity=quantity,
                unit_price=ProductPrice(
                    amount=amount, currency=self.currency or currency, includes_tax=includes_tax
                ),
                at=now,
            )
        )
        return item_id

    def change_quantity(self, item_id: str, quantity: int, *, available: int | None, now: datetime) -> None:
        line = self._line(item_id)
        if quantity == 0:
            self._record(CartItemRemoved(item_id=item_id, at=now))
            return
        self._check_quantity(quantity, "data.quantity")
        if line.manage_stock and available is not None and quantity > line.quantity and quantity > available:
            raise InsufficientStock(line.sku, line.product_id or "", available)
        if quantity != line.quantity:
            self._record(CartItemQuantityChanged(item_id=item_id, quantity=quantity, at=now))

    def remove_item(self, item_id: str, now: datetime) -> None:
        self._line(item_id)
        self._record(CartItemRemoved(item_id=item_id, at=now))

    def clear(self, now: datetime) -> None:
        if self.lines or self.promotion_codes:
            self._record(CartItemsCleared(at=now))

    def add_tax(self, item_id: str, tax: TaxLine, now: datetime) -> None:
        line = self._line(item_id)
        if len(line.taxes) >= MAX_TAX_ITEMS_PER_LINE:
            raise CartRuleBroken(
                "Too many tax items", f"An item can have at most {MAX_TAX_ITEMS_PER_LINE} tax items"
            )
        rate = Decimal(tax.rate)
        if not (Decimal(0) <= rate <= Decimal(1)):
            raise CartRuleBroken("Invalid rate", "rate must be between 0 and 1", source="data.rate")
        self._record(CartItemTaxAdded(item_id=item_id, tax=tax, at=now))

    def remove_tax(self, item_id: str, tax_id: str, now: datetime) -> None:
        line = self._line(item_id)
        if not any(t.id == tax_id for t in line.taxes):
            raise ItemNotInCart(tax_id)
        self._record(CartItemTaxRemoved(item_id=item_id, tax_id=tax_id, at=now))

    def apply_promotion(self, code: str, promotion_id: str, now: datetime) -> None:
        """Apply an applicable code (the promotion checked it); applying it again changes nothing."""
        self.ensure_created(now)
        if code not in self.promotion_codes:
            self._record(PromotionCodeApplied(code=code, promotion_id=promotion_id, at=now))

    def remove_promotion(self, code: str, now: datetime) -> None:
        if code not in self.promotion_codes:
            raise CartRuleBroken(
                "Not Found", f"Promotion code {code} is not applied to this cart", meta={"code": code}
            )
        self._record(PromotionCodeRemoved(code=code, at=now))

    def check_out(
        self,
        *,
        order_ids: OrderIds,
        customer: Customer,
        billing_address: Address,
        shipping_address: Address,
        totals: Totals,
        promotion_codes: list[str],
        now: datetime,
    ) -> str:
        """Record the checkout; returns the new order's id, derived from the cart's reference and version
        by `order_ids`. An unchanged cart cannot be checked out twice."""
        if self.last_checkout is not None and not self.changed_since_checkout:
            raise CartAlreadyCheckedOut(self.last_checkout.order_id)
        if not any(line.type in ("cart_item", "custom_item") for line in self.lines.values()):
            raise CartRuleBroken("Cart is empty", "Cannot check out an empty cart", source="data")
        order_id = order_ids.for_checkout(self.id, self.current_version)
        self._record(
            CartWasCheckedOut(
                order_id=order_id,
                cart_version=self.current_version,
                customer=customer,
                billing_address=billing_address,
                shipping_address=shipping_address,
                totals=totals,
                promotion_codes=promotion_codes,
                at=now,
            )
        )
        return order_id

    def associate(self, customer_id: str, now: datetime) -> None:
        """Make the cart `customer_id`'s (created if it was not yet); again for them changes nothing."""
        if self.customer_id == customer_id:
            return
        if self.customer_id is not None:
            raise CustomerCartForbidden(ONE_CUSTOMER_ONLY, source="data")
        self.ensure_created(now)
        self._record(CustomerCartAssociated(customer_id=customer_id, at=now))

    def dissociate(self, customer_id: str, now: datetime) -> None:
        """Free the cart from `customer_id`; a cart that is nobody's stays so, another's is refused."""
        if self.customer_id is None:
            return
        if self.customer_id != customer_id:
            raise CustomerCartForbidden(source="data")
        self._record(CustomerCartDissociated(customer_id=customer_id, at=now))

    def merge(
        self,
        source: Cart,
        products: Mapping[str, ProductSnapshot | None],
        available: Mapping[str, int | None],
        *,
        all_or_nothing: bool,
        now: datetime,
    ) -> list[DomainError]:
        """Bring `source`'s lines in, with the rules of adding them one by one (live product, a price in
        this cart's currency, stock, room, quantity); `source` is left unchanged. `products` and
        `available` hold the catalogue's product and stock for each product line of `source` (None:
        gone / unmanaged). Returns the lines refused; all or nothing raises the first instead."""
        if source.id == self.id:
            raise CartRuleBroken("Bad Request", "A cart cannot be merged into itself", source="data.cart_id")
        plan = _MergePlan(self)
        failures: list[DomainError] = []
        for line in source.lines.values():
            try:
                plan.take(line, products.get(line.product_id or ""), available.get(line.product_id or ""))
            except DomainError as refused:
                if all_or_nothing:
                    raise
                failures.append(refused)
        if plan.added or plan.raised:
            self.ensure_created(now)
            raised = [MergedQuantity(item_id=item_id, quantity=q) for item_id, q in plan.raised.items()]
            self._record(CartItemsMerged(from_cart_id=source.id, added=plan.added, raised=raised, at=now))
        return failures

    def delete(self, now: datetime) -> None:
        if self.created_at is not None:
            self._record(CartDeleted(at=now))

    # -- queries --------------------------------------------------------------------------

    def stocked_product_ids(self) -> list[str]:
        """The products of the cart's items whose stock inventory manages (a checkout checks them)."""
        return [
            line.product_id
            for line in self.lines.values()
            if line.type == "cart_item" and line.manage_stock and line.product_id is not None
        ]

    def pricing_lines(self) -> list[PricedLineInput]:
        return [
            PricedLineInput(
                item_id=line.id,
                type=line.type,
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                includes_tax=line.includes_tax,
                tax_rates=tuple(Decimal(t.rate) for t in line.taxes),
            )
            for line in self.lines.values()
        ]

    def quantity_of(self, product_id: str) -> int:
        return sum(line.quantity for line in self.lines.values() if line.product_id == product_id)

    # -- rules ----------------------------------------------------------------------------

    def _line(self, item_id: str) -> CartLine:
        line = self.lines.get(item_id)
        if line is None:
            raise ItemNotInCart(item_id)
        return line

    def _check_room(self) -> None:
        if len(self.lines) + len(self.promotion_codes) >= MAX_UNIQUE_ITEMS:
            raise CartRuleBroken("Too many items", f"A cart can hold at most {MAX_UNIQUE_ITEMS} unique items")

    @staticmethod
    def _check_quantity(quantity: int, source: str) -> None:
        if quantity < 1 or quantity > MAX_QUANTITY:
            raise CartRuleBroken(
                "Invalid quantity", f"quantity must be between 1 and {MAX_QUANTITY}", source=source
            )

    # -- state ----------------------------------------------------------------------------

    def apply(self, event: VersionedEvent) -> None:
        at = getattr(event, "at", None)
        match event:
            case CartCreated(name=name, description=description):
                self.name, self.description = name, description
                self.created_at = at
            case CartRenamed(name=name, description=description):
                self.name, self.description = name, description
            case CartItemAdded():
                self._join(event, at)
            case CartItemQuantityChanged(item_id=item_id, quantity=quantity):
                self.lines[item_id] = replace(self.lines[item_id], quantity=quantity, updated_at=at)
            case CartItemRemoved(item_id=item_id):
                self.lines.pop(item_id, None)
            case CartItemsCleared():
                self.lines.clear()
                self.promotion_codes.clear()
            case CartItemTaxAdded(item_id=item_id, tax=tax):
                self.lines[item_id].taxes.append(tax)
            case CartItemTaxRemoved(item_id=item_id, tax_id=tax_id):
                line = self.lines[item_id]
                line.taxes = [t for t in line.taxes if t.id != tax_id]
            case PromotionCodeApplied(code=code, promotion_id=promotion_id):
                self.promotion_codes[code] = promotion_id
            case PromotionCodeRemoved(code=code):
                self.promotion_codes.pop(code, None)
            case CartWasCheckedOut(order_id=order_id, cart_version=cart_version, totals=totals):
                self.last_checkout = Checkout(order_id, cart_version, totals)
            case CartItemsMerged():
                self._apply_merge(event)
            case CustomerCartAssociated(customer_id=customer_id):
                self.customer_id = customer_id
            case CustomerCartDissociated():
                self.customer_id = None
            case CartDeleted():  # the cart goes with its items, name, description, associations (EP)
                self.name, self.description = "Cart", ""
                self.lines.clear()
                self.promotion_codes.clear()
                self.created_at = None
                self.currency = None
                self.customer_id = None
        if not self.lines:
            self.currency = None
        if not isinstance(event, CustomerCartAssociated | CustomerCartDissociated):
            # Whose cart it is does not change what an order of it would hold.
            self.changed_since_checkout = not isinstance(event, CartWasCheckedOut)
        if at is not None:
            self.updated_at = at

    def _join(self, line: NewLine, at: datetime | None) -> None:
        """A line joins the cart, added or merged in."""
        price = line.unit_price
        self.currency = self.currency or price.currency
        self.lines[line.item_id] = CartLine(
            id=line.item_id,
            type=line.type,
            quantity=line.quantity,
            unit_amount=price.amount,
            currency=price.currency,
            includes_tax=price.includes_tax,
            product_id=line.product_id,
            sku=line.sku,
            slug=line.slug,
            name=line.name,
            description=line.description,
            manage_stock=line.manage_stock,
            custom_inputs=dict(line.custom_inputs),
            created_at=at,
            updated_at=at,
        )

    def _apply_merge(self, event: CartItemsMerged) -> None:
        for added in event.added:
            self._join(added, event.at)
        for raised in event.raised:
            self.lines[raised.item_id] = replace(
                self.lines[raised.item_id], quantity=raised.quantity, updated_at=event.at
            )


class _MergePlan:
    """What a merge would change in `target`, line by line, checked as `Cart.add_product` checks."""

    def __init__(self, target: Cart) -> None:
        self.target = target
        self.currency = target.currency
        self.room = MAX_UNIQUE_ITEMS - len(target.lines) - len(target.promotion_codes)
        self.added: list[MergedLine] = []
        self.raised: dict[str, int] = {}

    def take(self, line: CartLine, product: ProductSnapshot | None, available: int | None) -> None:
        currency = self.currency or line.currency
        if line.type != "cart_item":
            self._take_custom(line, currency)
        else:
            self._take_product(line, product, available, currency)
        self.currency = currency

    def _take_custom(self, line: CartLine, currency: str) -> None:
        if line.currency != currency:
            raise CartRuleBroken(
                "Currency mismatch",
                f"Item {line.sku or line.name} is priced in {line.currency}, the cart in {currency}",
                meta={"sku": line.sku},
            )
        self._check_room()
        self.added.append(
            MergedLine(
                item_id=str(uuid4()),
                type=line.type,
                sku=line.sku,
                name=line.name,
                description=line.description,
                quantity=line.quantity,
                unit_price=ProductPrice(
                    amount=line.unit_amount, currency=currency, includes_tax=line.includes_tax
                ),
            )
        )

    def _take_product(
        self, line: CartLine, product: ProductSnapshot | None, available: int | None, currency: str
    ) -> None:
        if product is None or product.status != "live":
            raise CartRuleBroken(
                "Product not available",
                f"Product {line.sku or line.product_id} is not live",
                meta={"id": line.product_id, "sku": line.sku},
            )
        if currency not in product.prices:
            raise CartRuleBroken(
                "Price not found",
                f"Product {product.sku or product.id} has no price in {currency}",
                meta={"id": product.id, "sku": product.sku},
            )
        existing = next(
            (
                kept
                for kept in self.target.lines.values()
                if kept.type == "cart_item"
                and kept.product_id == product.id
                and kept.custom_inputs == line.custom_inputs
            ),
            None,
        )
        wanted = line.quantity + (self.raised.get(existing.id, existing.quantity) if existing else 0)
        Cart._check_quantity(wanted, "data.cart_id")
        if product.manage_stock and available is not None and wanted > available:
            raise InsufficientStock(product.sku, product.id, available)
        if existing is not None:
            self.raised[existing.id] = wanted
            return
        self._check_room()
        amount, includes_tax = product.prices[currency]
        self.added.append(
            MergedLine(
                item_id=str(uuid4()),
                type="cart_item",
                product_id=product.id,
                sku=product.sku,
                slug=product.slug,
                name=product.name,
                description=product.description,
                quantity=line.quantity,
                unit_price=ProductPrice(amount=amount, currency=currency, includes_tax=includes_tax),
                manage_stock=product.manage_stock,
                custom_inputs=dict(line.custom_inputs),
            )
        )

    def _check_room(self) -> None:
        if self.room <= 0:
            raise CartRuleBroken("Too many items", f"A cart can hold at most {MAX_UNIQUE_ITEMS} unique items")
        self.room -= 1
