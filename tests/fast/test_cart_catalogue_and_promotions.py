"""The cart service's catalogue and promotion handlers on the in-memory database, with the cart's own
tables in memory (the fast tier): a sku names one product, a code one promotion, the automatic list
holds at most MAX_AUTOMATIC_PROMOTIONS; what each handler writes and announces, and that a clash
writes nothing. On PostgreSQL behind HTTP: tests/cart/test_catalogue.py, test_automatic_promotions.py,
test_promotion_dates.py."""

from __future__ import annotations

import pytest

from services.cart.application.catalogue import define_product, delete_product, import_product
from services.cart.application.promotions import add_codes, define_promotion, delete_code, delete_promotion
from services.cart.domain.errors import (
    MAX_AUTOMATIC_PROMOTIONS,
    DuplicateCode,
    DuplicateSku,
    PromotionNotFound,
    TooManyAutomaticPromotions,
)
from services.cart.domain.product import Product, ProductNotFound
from services.cart.domain.promotion import Promotion
from shared.contracts.events import ProductPublished
from shared.domain.errors import DomainError
from tests.fast import cart_builders as build
from tests.fast.cart_builders import product_definition, promotion_definition
from tests.fast.memory import published, published_data


@pytest.fixture
def shop() -> build.Cart:
    return build.cart_database()


async def test_a_product_is_created_announced_and_its_sku_claimed(shop: build.Cart) -> None:
    await build.product(shop, "p-1", "shoe")
    assert shop.tables.product_skus == {"shoe": "p-1"}
    assert published(shop.database) == [("ProductPublished", "p-1")]
    assert published_data(shop.database, "ProductPublished")[0]["sku"] == "shoe"
    before = shop.snapshot()
    with pytest.raises(DomainError, match="already exists"):  # the id is taken
        await build.product(shop, "p-1", "other")
    assert shop.snapshot() == before


async def test_a_sku_names_one_product_and_a_clash_writes_nothing(shop: build.Cart) -> None:
    await build.product(shop, "p-1", "shoe")
    before = shop.snapshot()
    with pytest.raises(DuplicateSku) as clash:
        await build.product(shop, "p-2", "shoe")
    assert clash.value.status == 409 and clash.value.meta == {"sku": "shoe"}
    assert shop.snapshot() == before
    await build.product(shop, "p-2", "hat")
    with pytest.raises(DuplicateSku):  # an update to another product's sku
        await shop.database.run(
            lambda uow: define_product(uow, "p-2", product_definition("shoe"), create=False)
        )
    assert shop.tables.product_skus == {"shoe": "p-1", "hat": "p-2"}


async def test_an_update_moves_the_sku_and_frees_the_old_one(shop: build.Cart) -> None:
    await build.product(shop, "p-1", "shoe")
    await shop.database.run(lambda uow: define_product(uow, "p-1", product_definition("boot"), create=False))
    assert shop.tables.product_skus == {"boot": "p-1"}
    await build.product(shop, "p-2", "shoe")  # free again
    with pytest.raises(ProductNotFound):
        await shop.database.run(lambda uow: define_product(uow, "p-9", product_definition("x"), create=False))
    again = product_definition("boot")
    await shop.database.run(lambda uow: define_product(uow, "p-1", again, create=False))
    assert [topic for topic, _ in published(shop.database)].count(
        "ProductPublished"
    ) == 3  # no news: not again
    assert (await shop.database.read(Product, "p-1")).version == 2


async def test_a_deleted_product_frees_its_sku_and_is_announced_as_a_draft(shop: build.Cart) -> None:
    await build.product(shop, "p-1", "shoe")
    await shop.database.run(lambda uow: delete_product(uow, "p-1"))
    assert shop.tables.product_skus == {}
    assert published_data(shop.database, "ProductPublished")[-1]["status"] == "draft"
    await build.product(shop, "p-2", "shoe")


async def test_an_imported_product_joins_the_catalogue_but_our_own_announcements_are_skipped(
    shop: build.Cart,
) -> None:
    theirs = ProductPublished(product_id="p-erp", sku="erp-1", name="From the ERP", manage_stock=True)
    await shop.database.run(lambda uow: import_product(uow, theirs, "erp"))
    await shop.database.run(
        lambda uow: import_product(uow, theirs.model_copy(update={"product_id": "p-own"}), "cart")
    )
    assert shop.tables.product_skus == {"erp-1": "p-erp"}
    imported = await shop.database.read(Product, "p-erp")
    assert imported.definition is not None and imported.definition.source == "erp"
    assert not (await shop.database.read(Product, "p-own")).exists
    assert published(shop.database) == []  # imports are not announced again
    clash = theirs.model_copy(update={"product_id": "p-other"})
    with pytest.raises(DuplicateSku):
        await shop.database.run(lambda uow: import_product(uow, clash, "erp"))


async def test_a_promotion_is_created_once_and_updated_only_while_live(shop: build.Cart) -> None:
    await build.promotion(shop, "promo-1")
    with pytest.raises(DomainError, match="already exists"):
        await build.promotion(shop, "promo-1")
    changed = promotion_definition(percent=20)
    await shop.database.run(lambda uow: define_promotion(uow, "promo-1", changed, create=False))
    promotion = await shop.database.read(Promotion, "promo-1")
    assert (
        promotion.definition is not None
        and promotion.definition.promotion_schema["currencies"][0]["percentage"] == 20
    )
    with pytest.raises(DomainError, match="could not be found"):
        await shop.database.run(lambda uow: define_promotion(uow, "promo-9", changed, create=False))


async def test_a_code_belongs_to_one_promotion_whatever_its_case(shop: build.Cart) -> None:
    await build.promotion(shop, "promo-1", {"code": "SAVE"}, {"code": "MORE", "uses": 2})
    assert shop.tables.promotion_codes == {"save": "promo-1", "more": "promo-1"}
    await build.promotion(shop, "promo-2")
    before = shop.snapshot()
    with pytest.raises(DuplicateCode):
        await shop.database.run(lambda uow: add_codes(uow, "promo-2", [{"code": "fresh"}, {"code": "save"}]))
    assert shop.snapshot() == before  # not even the fresh one
    codes = await shop.database.run(
        lambda uow: add_codes(uow, "promo-1", [{"code": "Save"}, {"code": "new"}])
    )
    assert sorted(code.code for code in codes) == ["MORE", "SAVE", "new"]  # the known one is not added again
    more = next(code for code in codes if code.code == "MORE")
    await shop.database.run(lambda uow: delete_code(uow, "promo-1", more.id))
    assert shop.tables.promotion_codes == {"save": "promo-1", "new": "promo-1"}
    with pytest.raises(PromotionNotFound):
        await shop.database.run(lambda uow: delete_code(uow, "promo-1", more.id))
    await shop.database.run(lambda uow: add_codes(uow, "promo-2", [{"code": "more"}]))  # free again


async def test_a_deleted_promotion_frees_its_codes_and_its_place_on_the_automatic_list(
    shop: build.Cart,
) -> None:
    await build.promotion(shop, "promo-1", {"code": "SAVE"}, automatic=True)
    assert list(shop.tables.automatic_promotions) == ["promo-1"]
    await shop.database.run(lambda uow: delete_promotion(uow, "promo-1"))
    assert shop.tables.promotion_codes == {} and shop.tables.automatic_promotions == {}
    with pytest.raises(DomainError, match="could not be found"):
        await shop.database.run(lambda uow: delete_promotion(uow, "promo-1"))


async def test_the_automatic_list_follows_the_definitions_and_is_never_overfilled(shop: build.Cart) -> None:
    for n in range(MAX_AUTOMATIC_PROMOTIONS):
        await build.promotion(shop, f"auto-{n}", automatic=True)
    before = shop.snapshot()
    with pytest.raises(TooManyAutomaticPromotions) as refused:
        await build.promotion(shop, "one-too-many", automatic=True)
    assert refused.value.status == 422 and shop.snapshot() == before
    again = promotion_definition(automatic=True, percent=15)  # one already listed changes: still fits
    await shop.database.run(lambda uow: define_promotion(uow, "auto-0", again, create=False))
    disabled = promotion_definition(automatic=True, enabled=False)
    await shop.database.run(lambda uow: define_promotion(uow, "auto-1", disabled, create=False))
    assert "auto-1" not in shop.tables.automatic_promotions
    await build.promotion(shop, "one-too-many", automatic=True)
    assert len(shop.tables.automatic_promotions) == MAX_AUTOMATIC_PROMOTIONS
