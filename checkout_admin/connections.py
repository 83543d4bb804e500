"""Every connection the tool opens, so that a server which does not answer ends the command with
one line naming the variable that points at it, where its value came from and what to do: no
traceback, and a non-zero exit (`cli.main` prints `Unreachable`)."""

from __future__ import annotations

import contextlib
from typing import TypeAlias
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from checkout_admin.config import KAFKA_BOOTSTRAP_SERVERS, StackConfig
from shared.eventstore.database import connect, create_pool
from shared.eventstore.unit_of_work import Database

DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, unknown host, unreachable network
    TimeoutError,
    asyncpg.PostgresError,  # no such database, authentication failed, shutting down
    asyncpg.InterfaceError,  # a malformed URL, a closed connection
    ValueError,
)
KAFKA_ERRORS: tuple[type[BaseException], ...] = (KafkaError, OSError, TimeoutError, ValueError)

KafkaClient: TypeAlias = AIOKafkaConsumer | AIOKafkaProducer | AIOKafkaAdminClient


class Unreachable(Exception):
    """A server the command needs does not answer; the message says which variable to fix."""


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or "no answer"
    return text if text.startswith(type(exc).__name__) else f"{type(exc).__name__}: {text}"


def database_unreachable(config: StackConfig, service: str, exc: BaseException) -> Unreachable:
    variable = config.database_variable(service)
    origin = config.origin(variable)
    url = _without_password(config.database_url(service))
    return Unreachable(
        f"cannot reach the {service} database at {url} ({_reason(exc)}); "
        f"{variable} is {origin.text}: {origin.hint}"
    )


def kafka_unreachable(config: StackConfig, exc: BaseException) -> Unreachable:
    origin = config.origin(KAFKA_BOOTSTRAP_SERVERS)
    return Unreachable(
        f"cannot reach Kafka at {config.kafka} ({_reason(exc)}); "
        f"{KAFKA_BOOTSTRAP_SERVERS} is {origin.text}: {origin.hint}"
    )


async def open_pool(config: StackConfig, service: str, *, max_size: int) -> asyncpg.Pool:
    try:
        return await create_pool(config.database_url(service), min_size=1, max_size=max_size)
    except DATABASE_ERRORS as exc:
        raise database_unreachable(config, service, exc) from None


async def open_connection(config: StackConfig, service: str) -> asyncpg.Connection:
    try:
        return await connect(config.database_url(service))
    except DATABASE_ERRORS as exc:
        raise database_unreachable(config, service, exc) from None


async def open_database(config: StackConfig, service: str, database: Database, *, max_size: int) -> None:
    """Open a service runtime's own database (its schema made as the service would)."""
    try:
        await database.open(max_size=max_size)
    except DATABASE_ERRORS as exc:
        raise database_unreachable(config, service, exc) from None


async def start_kafka(config: StackConfig, client: KafkaClient) -> None:
    """Start a Kafka client, or stop what it began and raise `Unreachable`."""
    try:
        await client.start()
    except KAFKA_ERRORS as exc:
        with contextlib.suppress(Exception):
            await (client.close() if isinstance(client, AIOKafkaAdminClient) else client.stop())
        raise kafka_unreachable(config, exc) from None
