"""Products: admin writes, imports from other catalogues, and the sku guard."""

from __future__ import annotations

import asyncpg

from services.cart.domain.events import ProductDefined
from services.cart.domain.product import Product, ProductNotFound
from shared.contracts import events as contracts
from shared.contracts.envelope import utc_now
from shared.domain.errors import DomainError
from shared.eventstore.port import UnitOfWork

PRODUCER = "cart"


class DuplicateSku(DomainError):
    status = 409
    title = "Duplicate sku"

    def __init__(self, sku: str) -> None:
        super().__init__(f"A product with sku {sku!r} already exists", source="data.sku", meta={"sku": sku})


async def _claim_sku(uow: UnitOfWork, product_id: str, sku: str) -> None:
    """Point `sku` at this product, in the same transaction as the product's event."""
    await uow.connection.execute(
        "DELETE FROM product_skus WHERE product_id = $1 AND sku <> $2", product_id, sku
    )
    try:
        async with uow.connection.transaction():  # a savepoint: a clash must not poison the unit of work
            await uow.connection.execute(
                "INSERT INTO product_skus (sku, product_id) VALUES ($1, $2)"
                " ON CONFLICT (product_id) DO UPDATE"
                " SET sku = EXCLUDED.sku",
                sku,
                product_id,
            )
    except asyncpg.UniqueViolationError:
        raise DuplicateSku(sku) from None


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
    await uow.connection.execute("DELETE FROM product_skus WHERE product_id = $1", product_id)
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
    try:
        await _claim_sku(uow, event.product_id, event.sku)
    except DuplicateSku:
        raise
    product.define(definition)
