"""The cart service's fast tier: an in-memory database with the cart's tables in memory
(`adapters/in_memory`), and what its handlers take (products, promotions, customers, addresses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.cart.adapters.in_memory import CartTables, provide_in_memory_tables
from services.cart.application.catalogue import define_product
from services.cart.application.customer_privacy import CustomerKeys, customer_keys
from services.cart.application.customers import register_customer
from services.cart.application.promotions import add_codes, define_promotion
from services.cart.domain.events import ProductDefined, PromotionDefined
from services.cart.domain.order_ids import OrderIds
from shared.contracts.envelope import utc_now
from shared.contracts.values import Address, ProductPrice
from shared.eventstore.in_memory import InMemoryDatabase
from shared.privacy.personal_data import PersonalData

ADDRESS = Address(
    first_name="Ron", last_name="Swanson", line_1="1 Sun Street", postcode="46001", country="US"
)
ORDER_IDS = OrderIds(b"fast-tier order id key")
PRIVACY_OFF = PersonalData(None)
"""Personal data kept in clear (no key store): sealing with keys needs the key table's PostgreSQL
(tests/privacy, tests/e2e/test_customer_erasure.py)."""


@dataclass
class Cart:
    """The database under test and the cart's tables on it."""

    database: InMemoryDatabase
    tables: CartTables

    def snapshot(self) -> tuple[int, int, CartTables]:
        """Events, outbox rows and tables as committed (to check that a refusal wrote nothing)."""
        store = self.database.store
        return len(store.log), len(store.outbox), self.tables.copy()


def cart_database() -> Cart:
    database = InMemoryDatabase(producer="cart")
    return Cart(database, provide_in_memory_tables(database))


def product_definition(sku: str, *, amount: int = 5_000, manage_stock: bool = False) -> ProductDefined:
    return ProductDefined(
        sku=sku,
        name=f"Product {sku}",
        slug=sku,
        price=[ProductPrice(amount=amount, currency="USD")],
        manage_stock=manage_stock,
        at=utc_now(),
    )


async def product(
    cart: Cart, product_id: str, sku: str, *, amount: int = 5_000, manage_stock: bool = False
) -> None:
    definition = product_definition(sku, amount=amount, manage_stock=manage_stock)
    await cart.database.run(lambda uow: define_product(uow, product_id, definition, create=True))


def promotion_definition(
    *,
    percent: int = 10,
    automatic: bool = False,
    enabled: bool = True,
    started: timedelta = timedelta(days=1),
) -> PromotionDefined:
    now = datetime.now(UTC)
    return PromotionDefined(
        name="Ten off",
        enabled=enabled,
        automatic=automatic,
        promotion_type="percent_discount",
        promotion_schema={"currencies": [{"currency": "USD", "percentage": percent}]},
        start=now - started,
        end=now + timedelta(days=30),
        at=now,
    )


async def promotion(
    cart: Cart, promotion_id: str, *codes: dict[str, Any], percent: int = 10, automatic: bool = False
) -> None:
    definition = promotion_definition(percent=percent, automatic=automatic)
    await cart.database.run(lambda uow: define_promotion(uow, promotion_id, definition, create=True))
    if codes:
        await cart.database.run(lambda uow: add_codes(uow, promotion_id, list(codes)))


async def keys(customer_id: str) -> CustomerKeys:
    return await customer_keys(PRIVACY_OFF, customer_id)


async def customer(cart: Cart, customer_id: str, email: str, name: str = "Ann Perkins") -> None:
    customer_keys_ = await keys(customer_id)
    await cart.database.run(
        lambda uow: register_customer(uow, customer_keys_, customer_id, name, email, "hash", None)
    )
