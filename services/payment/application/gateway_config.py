"""Reading and changing the gateways' configuration (`/v2/gateways`), and seeding it at start-up.

The configuration is read from the event store whenever a payment starts (one statement), so a
gateway an admin disabled on one instance of the service refuses payments on every instance at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.payment.domain.errors import GatewayNotFound
from services.payment.domain.gateway_settings import GATEWAY_NAMES, GatewaySettings
from shared.contracts.envelope import utc_now
from shared.eventstore.port import EventDatabase, UnitOfWork


async def seed_gateways(database: EventDatabase, seeds: Mapping[str, tuple[bool, str]]) -> None:
    """The environment's configuration (slug -> enabled, login) for each gateway that has none yet.

    Several instances starting at once may race: the loser's append conflicts, and its retry finds
    the gateway seeded and leaves it alone.
    """
    for slug, (enabled, login) in seeds.items():

        async def seed(
            uow: UnitOfWork, slug: str = slug, enabled: bool = enabled, login: str = login
        ) -> None:
            settings = await uow.load(GatewaySettings, slug)
            settings.seed(enabled, login, utc_now())

        await database.run(seed)


async def read_gateway(database: EventDatabase, slug: str) -> GatewaySettings:
    """The gateway's configuration, or a 404 for a slug this service does not implement."""
    if slug not in GATEWAY_NAMES:
        raise GatewayNotFound(slug)
    return await database.read(GatewaySettings, slug)


async def list_gateways(database: EventDatabase) -> list[GatewaySettings]:
    return [await read_gateway(database, slug) for slug in GATEWAY_NAMES]


async def update_gateway(
    database: EventDatabase, slug: str, enabled: bool | None, login: str | None
) -> GatewaySettings:
    if slug not in GATEWAY_NAMES:
        raise GatewayNotFound(slug)

    async def update(uow: UnitOfWork) -> GatewaySettings:
        settings = await uow.load(GatewaySettings, slug)
        settings.update(enabled, login, utc_now())
        return settings

    return await database.run(update)
