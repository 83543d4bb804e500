"""Reads the command handlers need (through the ports, `ports.py`): products by sku, stock,
promotions.

Stock levels and the automatic promotions are read together, once per unit of work (`Shelf`): adding
an item needs the product's stock and, for the answer, the promotions; a checkout needs the
promotions to price and every stocked line's level. One statement serves both steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.cart.application.ports import PROMOTION_INDEX, SKU_CLAIMS, STOCK_AND_PROMOTIONS
from services.cart.domain.cart import Cart, ProductSnapshot
from services.cart.domain.errors import PromotionNotFound
from services.cart.domain.pricing import CartPrice, PromotionTerms, price_cart
from services.cart.domain.product import Product, ProductNotFound
from services.cart.domain.promotion import Promotion
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork


async def product_by_id_or_sku(
    uow: UnitOfWork, *, product_id: str | None, sku: str | None
) -> ProductSnapshot:
    if not product_id and sku:
        product_id = await uow.adapter(SKU_CLAIMS).product_of(sku)
    if not product_id:
        raise ProductNotFound(sku or "")
    product = await uow.load(Product, product_id)
    return product.snapshot()


@dataclass
class Shelf:
    """What this unit of work has read of stock levels and the automatic promotions
    (`ports.StockAndPromotions`, one statement a call)."""

    promotion_ids: list[str] | None = None
    levels: dict[str, int | None] = field(default_factory=dict)  # None: inventory does not manage it
    read: set[str] = field(default_factory=set)  # products asked for (with a level or none recorded)

    async def fill(self, uow: UnitOfWork, product_ids: list[str], *, promotions: bool) -> None:
        """Read what is missing: the products not asked for yet, the promotions if `promotions`
        and not read yet (then with the stock, in one statement)."""
        missing = sorted(set(product_ids) - self.read)
        reads = uow.adapter(STOCK_AND_PROMOTIONS)
        if promotions and self.promotion_ids is None:
            self.promotion_ids, levels = await reads.levels_and_automatic(missing)
        elif missing:
            levels = await reads.levels(missing)
        else:
            return
        self.levels.update(levels)
        self.read.update(missing)

    def available(self, product_id: str) -> int | None:
        if product_id not in self.levels:
            return 0  # managed, but no stock recorded yet: nothing to sell
        return self.levels[product_id]


def _shelf(uow: UnitOfWork) -> Shelf:
    shelf = uow.memo.get("cart.shelf")
    if not isinstance(shelf, Shelf):
        shelf = uow.memo["cart.shelf"] = Shelf()
    return shelf


async def available_stock(uow: UnitOfWork, product: ProductSnapshot) -> int | None:
    """What inventory last said is available; None for products whose stock is not managed."""
    if not product.manage_stock:
        return None
    shelf = _shelf(uow)
    await shelf.fill(uow, [product.id], promotions=True)  # the answer will price the cart
    return shelf.available(product.id)


async def promotion_for_code(uow: UnitOfWork, code: str) -> Promotion:
    promotion_id = await uow.adapter(PROMOTION_INDEX).promotion_of(code)
    if promotion_id is None:
        raise PromotionNotFound()
    promotion = await uow.load(Promotion, promotion_id)
    if not promotion.live:
        raise PromotionNotFound()
    return promotion


async def automatic_promotions(uow: UnitOfWork, stocked: list[str] | None = None) -> list[Promotion]:
    """The enabled automatic promotions, oldest first (as Elastic Path orders promotions).

    `stocked`: products whose stock the unit will ask for next, read in the same statement."""
    shelf = _shelf(uow)
    await shelf.fill(uow, stocked or [], promotions=True)
    assert shelf.promotion_ids is not None
    promotions = [await uow.load(Promotion, promotion_id) for promotion_id in shelf.promotion_ids]
    live = [promotion for promotion in promotions if promotion.automatic]
    return sorted(live, key=lambda promotion: (promotion.created_at or utc_now(), promotion.id))


async def applied_terms(uow: UnitOfWork, cart: Cart) -> list[PromotionTerms]:
    """The terms the cart prices with in its currency: every automatic promotion (unless the cart
    holds a code of it), then the cart's applied codes (promotions since deleted drop out)."""
    if not cart.currency:
        return []
    by_code = set(cart.promotion_codes.values())
    terms = [
        promotion.automatic_terms(cart.currency)
        for promotion in await automatic_promotions(uow, cart.stocked_product_ids())
        if promotion.id not in by_code and promotion.id not in cart.promotion_codes
    ]
    for code, promotion_id in cart.promotion_codes.items():
        promotion = await uow.load(Promotion, promotion_id)
        if promotion.live:
            terms.append(promotion.terms(code, cart.currency))
    return terms


async def price(uow: UnitOfWork, cart: Cart) -> CartPrice:
    return price_cart(cart.currency or "", cart.pricing_lines(), await applied_terms(uow, cart), utc_now())
