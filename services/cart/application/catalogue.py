"""Products: admin writes, imports from other catalogues, and the sku guard."""

from __future__ import annotations

from services.cart.application.ports import SKU_CLAIMS
from services.cart.domain.events import ProductDefined
from services.cart.domain.product import Product, ProductNotFound
from shared.contracts import events as contracts
from shared.contracts.envelope import utc_now
from shared.domain.errors import DomainError
from shared.eventstore.port import UnitOfWork

PRODUCER = "cart"


async def _claim_sku(uow: UnitOfWork, product_id: str, sku: str) -> None:
    """Point `sku` at this product, with the product's event (DuplicateSku when another has it)."""
    await uow.adapter(SKU_CLAIMS).claim(product_id, sku)


def published(product: Product) -> contracts.ProductPublished:
    d = product.definition
    assert d is not None
    return contracts.ProductPublished(
        product_id=product.id,
        sku=d.sku,
        name=d.name,
        slug=d.slug,
        description=d.description,
        status="draft" if product.deleted else d.status,
        commodity_type=d.commodity_type,
        price=d.price,
        manage_stock=d.manage_stock,
    )


async def define_product(
    uow: UnitOfWork, product_id: str, definition: ProductDefined, *, create: bool
) -> Product:
    """Create (`create=True`, the id must be new) or replace a product, and announce it."""
    product = await uow.load(Product, product_id)
    if create and product.exists:
        raise DomainError(
            "A product with this id already exists", status=409, title="Conflict", source="data.id"
        )
    if not create and not product.live:
        raise ProductNotFound(product_id)
    await _claim_sku(uow, product_id, definition.sku)
    if product.define(definition):
        uow.publish(
            published(product),
            key=product_id,
            aggregate_id=product_id,
            aggregate_version=product.current_version,
        )
    return product


async def delete_product(uow: UnitOfWork, product_id: str) -> None:
    product = await uow.load(Product, product_id)
    product.delete(utc_now())
    await uow.adapter(SKU_CLAIMS).release(product_id)
    uow.publish(
        published(product), key=product_id, aggregate_id=product_id, aggregate_version=product.current_version
    )


async def import_product(uow: UnitOfWork, event: contracts.ProductPublished, producer: str) -> None:
    """A product published by another catalogue joins ours (our own announcements are skipped)."""
    if producer == PRODUCER:
        return
    product = await uow.load(Product, event.product_id)
    definition = ProductDefined(
        sku=event.sku,
        name=event.name,
        slug=event.slug,
        description=event.description,
        status=event.status,
        commodity_type=event.commodity_type,
        price=event.price,
        manage_stock=event.manage_stock,
        source=producer,
        at=utc_now(),
    )
    await _claim_sku(uow, event.product_id, event.sku)
    product.define(definition)
