"""A catalogue product: created and updated by an admin, or imported from another catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from services.cart.domain.cart import ProductSnapshot
from services.cart.domain.events import CART_EVENTS, ProductDefined, ProductDeleted
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import ProductPrice
from shared.domain.aggregate import Aggregate
from shared.domain.errors import NotFound


class ProductNotFound(NotFound):
    def __init__(self, product_id: str) -> None:
        super().__init__("The requested product could not be found", product_id)


class Product(Aggregate):
    stream_type = "product"
    registry: ClassVar[EventRegistry] = CART_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.definition: ProductDefined | None = None
        self.created_at: datetime | None = None
        self.deleted = False

    @property
    def live(self) -> bool:
        return self.definition is not None and not self.deleted

    @property
    def published(self) -> bool:
        """Live with EP's `status: live`: what shoppers may see (a draft is the admins' business)."""
        return self.live and self.definition is not None and self.definition.status == "live"

    def visible_to(self, *, admin: bool) -> bool:
        return self.live if admin else self.published

    def define(self, definition: ProductDefined) -> bool:
        """Create or replace the product's state; False (and no event) when nothing changed."""
        if self.definition is not None and not self.deleted:
            unchanged = self.definition.model_dump(exclude={"at"}) == definition.model_dump(exclude={"at"})
            if unchanged:
                return False
        self._record(definition)
        return True

    def delete(self, now: datetime) -> None:
        if not self.live:
            raise ProductNotFound(self.id)
        self._record(ProductDeleted(at=now))

    def snapshot(self) -> ProductSnapshot:
        if self.definition is None or self.deleted:
            raise ProductNotFound(self.id)
        d = self.definition
        return ProductSnapshot(
            id=self.id,
            sku=d.sku,
            name=d.name,
            slug=d.slug,
            description=d.description,
            status=d.status,
            manage_stock=d.manage_stock,
            prices=prices_by_currency(d.price),
        )

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case ProductDefined():
                if self.created_at is None or self.deleted:
                    self.created_at = event.at
                self.definition = event
                self.deleted = False
            case ProductDeleted():
                self.deleted = True


def prices_by_currency(prices: list[ProductPrice]) -> dict[str, tuple[int, bool]]:
    return {p.currency.upper(): (p.amount, p.includes_tax) for p in prices}
