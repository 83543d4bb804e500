"""The runtime every service process runs: database, Kafka, relay, consumers, projections.

A service declares its tables, projections and consumers (in `services/<name>/bootstrap.py`, its
composition root); `ServiceRuntime` opens the database, creates the schema, starts the outbox relay,
binds consumers to the broker, keeps projections current, then opens what the service keeps open
(`add_resource`) and starts its own background tasks (`add_background`), and shuts all of it down in
the reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from shared.contracts.integration_event import topic_for
from shared.eventstore.unit_of_work import Database
from shared.messaging.admin import ensure_topics
from shared.messaging.broker_health import kafka_answers
from shared.messaging.consumer import EventConsumer
from shared.messaging.dead_letters import DeadLetterPublisher, dead_letter_topic
from shared.messaging.kafka import reliable_producer, service_broker
from shared.messaging.lag import watch_consumer_lag
from shared.outbox.relay import OutboxRelay
from shared.projections.projection import Projection
from shared.projections.runner import ProjectionRunner
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

Background = Callable[[], Coroutine[Any, Any, None]]
"""A service's own background task (a sweep, a reconciler): called once the runtime is up."""
Resource = Callable[[], AbstractAsyncContextManager[object]]
"""Something a service keeps open while it runs (a pool its tasks and requests share)."""


class ServiceRuntime:
    """Owns a service's long-lived resources and background tasks."""

    @classmethod
    def of_service(
        cls,
        name: str,
        settings: ServiceSettings,
        *,
        ddl: Iterable[str] = (),
        projections: Sequence[Projection] = (),
        consumers: Sequence[EventConsumer] = (),
        publishes: Sequence[str] = (),
    ) -> ServiceRuntime:
        """The runtime of service `name` (its producer and consumer-group name: fixed in its code,
        never the environment's) on what `settings` say (database, Kafka, topic prefix, pool,
        consumer group suffix, relay), with what the service declares."""
        return cls(
            name,
            database_url=settings.database_url,
            kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
            topic_prefix=settings.topic_prefix,
            topic_partitions=settings.kafka_topic_partitions,
            ddl=ddl,
            projections=projections,
            consumers=consumers,
            publishes=publishes,
            pool_size=settings.db_pool_size,
            consumer_group_suffix=settings.consumer_group_suffix,
            outbox_relay=settings.outbox_relay,
        )

    def __init__(
        self,
        name: str,
        *,
        database_url: str,
        kafka_bootstrap_servers: str,
        topic_prefix: str = "",
        topic_partitions: int | None = None,
        ddl: Iterable[str] = (),
        projections: Sequence[Projection] = (),
        consumers: Sequence[EventConsumer] = (),
        publishes: Sequence[str] = (),
        pool_size: int = 10,
        consumer_group_suffix: str = "",
        outbox_relay: bool = True,
    ) -> None:
        self.name = name
        self.database = Database(database_url, producer=name, topic_prefix=topic_prefix)
        self.kafka_bootstrap_servers = kafka_bootstrap_servers
        self.topic_prefix = topic_prefix
        self._topic_partitions = topic_partitions  # None: KAFKA_TOPIC_PARTITIONS, as ensure_topics reads it
        self._ddl = list(ddl)
        self.consumers = list(consumers)
        self.projections: dict[str, ProjectionRunner] = {}
        self.projection_definitions = list(projections)
        self.publishes = list(publishes)
        self._pool_size = pool_size
        self.consumer_group_suffix = consumer_group_suffix
        self.outbox_relay = outbox_relay
        """False for a shadow instance (OUTBOX_RELAY=off): its outbox rows stay in its own database,
        for a relay would publish the events it derives again, with new ids, into the live topics."""
        self.broker: KafkaBroker | None = None
        self.producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._resources: list[tuple[str, Resource]] = []
        self._background: list[tuple[str, Background]] = []
        self._held = AsyncExitStack()

    def add_resource(self, what: str, resource: Resource) -> None:
        """Enter `resource()` once the runtime is up (relay, projections and consumers running), in
        the order added; leave it, in the reverse order, when the runtime stops, after the
        background tasks (which may use it) are cancelled."""
        self._resources.append((what, resource))

    def add_background(self, what: str, task: Background) -> None:
        """Run `task()` once the runtime is up and its resources are open; it is cancelled when the
        runtime stops, before the resources close. Building a runtime (as the tools do) runs nothing."""
        self._background.append((what, task))

    async def start(self) -> None:
        await self.database.open(self._ddl, max_size=self._pool_size)
        await ensure_topics(self.kafka_bootstrap_servers, self.topics(), partitions=self._topic_partitions)
        pool = self.database.pool
        self.producer = reliable_producer(self.kafka_bootstrap_servers, client_id=f"{self.name}-relay")
        await self.producer.start()
        signals = self.database.signals
        if self.outbox_relay:
            self.relay = OutboxRelay(self.database.dsn, pool, self.producer, signals=signals)
            self.spawn(self.relay.run(), "outbox relay")
        else:
            log.warning(
                "%s: outbox relay off (OUTBOX_RELAY=off): this instance publishes no events", self.name
            )
        for definition in self.projection_definitions:
            runner = ProjectionRunner(self.database.dsn, pool, definition, signals=signals)
            await runner.setup()
            self.projections[definition.name] = runner
            self.spawn(runner.run(), f"projection {definition.name}")
        if self.consumers:
            self.broker = service_broker(self.kafka_bootstrap_servers, client_id=self.name)
            for consumer in self.consumers:
                publisher = DeadLetterPublisher(
                    self.producer, consumer=consumer.name, topic_prefix=self.topic_prefix
                )
                consumer.bind(
                    self.database,
                    publisher,
                    topic_prefix=self.topic_prefix,
                    group_suffix=self.consumer_group_suffix,
                )
                consumer.subscribe(self.broker)
                self.spawn(consumer.sweep_parked(), f"parked sweep {consumer.name}")
            await self.broker.start()
            groups = {
                c.group_with_prefix(self.topic_prefix): c.topics_with_prefix(self.topic_prefix)
                for c in self.consumers
            }
            self.spawn(
                watch_consumer_lag(self.kafka_bootstrap_servers, groups, client_id=f"{self.name}-lag"),
                "consumer lag",
            )
        await self._start_own()
        log.info("%s runtime started", self.name)

    async def _start_own(self) -> None:
        """The service's own resources, then its background tasks (stopping everything on a failure)."""
        self._held = AsyncExitStack()
        try:
            for what, resource in self._resources:
                log.debug("%s: opening %s", self.name, what)
                await self._held.enter_async_context(resource())
        except BaseException:
            await self.stop()
            raise
        for what, task in self._background:
            self.spawn(task(), what)

    async def database_ready(self) -> None:
        """Readiness: the service's database answers (raises otherwise)."""
        await self.database.pool.fetchval("SELECT 1")

    async def kafka_ready(self) -> None:
        """Readiness: a Kafka broker answers the producer the relay and dead letters go through
        (over its own connections: see `broker_health.py`); raises otherwise."""
        if self.producer is None:
            raise RuntimeError("the Kafka producer has not started")
        await kafka_answers(self.producer.client)

    def readiness_checks(self) -> dict[str, Callable[[], Awaitable[None]]]:
        """What `/ready` checks for every service: its database and Kafka."""
        return {"database": self.database_ready, "kafka": self.kafka_ready}

    def topics(self) -> list[str]:
        """Every topic this service reads or writes, dead letters included."""
        names = {dead_letter_topic(self.topic_prefix)}
        names.update(topic_for(t, self.topic_prefix) for t in self.publishes)
        for consumer in self.consumers:
            names.update(consumer.topics_with_prefix(self.topic_prefix))
        return sorted(names)

    def spawn(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        """Run a background task of the service; it is cancelled when the runtime stops."""
        task = asyncio.create_task(coro, name=f"{self.name}: {what}")
        self._tasks.append(task)

    async def stop(self) -> None:
        if self.broker is not None:
            for consumer in self.consumers:  # what is handled need not come round again after a restart
                with contextlib.suppress(Exception):
                    await consumer.offsets.close()
            await self.broker.stop()
            self.broker = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        try:
            await self._held.aclose()
        except Exception:
            log.exception("%s: closing the service's resources failed", self.name)
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None
        await self.database.close()
        log.info("%s runtime stopped", self.name)

    async def __aenter__(self) -> ServiceRuntime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
