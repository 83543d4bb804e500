"""Reads the command handlers need (`uow.reads`: no transaction of their own): products by sku, stock,
promotions."""

from __future__ import annotations

from services.cart.domain.cart import Cart, ProductSnapshot
from services.cart.domain.errors import PromotionNotFound
from services.cart.domain.pricing import CartPrice, PromotionTerms, price_cart
from services.cart.domain.product import Product, ProductNotFound
from services.cart.domain.promotion import Promotion
from shared.contracts.envelope import utc_now
from shared.eventstore.unit_of_work import UnitOfWork


async def product_by_id_or_sku(
    uow: UnitOfWork, *, product_id: str | None, sku: str | None
) -> ProductSnapshot:
    if not product_id and sku:
        product_id = await uow.reads.fetchval("SELECT product_id FROM product_skus WHERE sku = $1", sku)
    if not product_id:
        raise ProductNotFound(sku or "")
    product = await uow.load(Product, product_id)
    return product.snapshot()


async def available_stock(uow: UnitOfWork, product: ProductSnapshot) -> int | None:
    """What inventory last said is available; None for products whose stock is not managed."""
    if not product.manage_stock:
        return None
    row = await uow.reads.fetchrow(
        "SELECT available, managed FROM stock_levels WHERE product_id = $1", product.id
    )
    if row is None:
        return 0  # managed, but no stock recorded yet: nothing to sell
    return int(row["available"]) if row["managed"] else None


async def promotion_for_code(uow: UnitOfWork, code: str) -> Promotion:
    promotion_id = await uow.reads.fetchval(
        "SELECT promotion_id FROM promotion_codes WHERE code = $1", code.lower()
    )
    if promotion_id is None:
        raise PromotionNotFound()
    promotion = await uow.load(Promotion, promotion_id)
    if not promotion.live:
        raise PromotionNotFound()
    return promotion


async def automatic_promotions(uow: UnitOfWork) -> list[Promotion]:
    """The enabled automatic promotions, oldest first (as Elastic Path orders promotions)."""
    rows = await uow.reads.fetch("SELECT promotion_id FROM automatic_promotions")
    promotions = [await uow.load(Promotion, row["promotion_id"]) for row in rows]
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
        for promotion in await automatic_promotions(uow)
        if promotion.id not in by_code and promotion.id not in cart.promotion_codes
    ]
    for code, promotion_id in cart.promotion_codes.items():
        promotion = await uow.load(Promotion, promotion_id)
        if promotion.live:
            terms.append(promotion.terms(code, cart.currency))
    return terms


async def price(uow: UnitOfWork, cart: Cart) -> CartPrice:
    return price_cart(cart.currency or "", cart.pricing_lines(), await applied_terms(uow, cart), utc_now())
