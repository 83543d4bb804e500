"""The platform's ACLs, derived from what each service declares, so a new topic cannot be forgotten.

Each service's principal writes the topics its runtime publishes plus the dead-letter topic, reads
the topics its consumers subscribe to, and uses the consumer groups its consumers are named after;
the integrator writes the inbound topics (`shared.contracts.inbound.INBOUND`) and reads every
topic a service publishes, under groups prefixed ``integrator``. ``python -m devstack.kafka_acls``
prints them, or applies them to a running Kafka (``--apply``, as ``admin``), which is how the
containers' stack gets them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from checkout_admin.registry import SERVICES
from shared.contracts.inbound import INBOUND
from shared.contracts.integration_event import topic_for
from shared.messaging.dead_letters import dead_letter_topic
from shared.messaging.kafka_acls import Grants, create_acls
from shared.messaging.kafka_security import INTEGRATOR, KafkaCredentials

log = logging.getLogger("devstack")

_UNUSED_DATABASE = "postgresql://unused/unused"
EVERY_SERVICE_READS = ("CustomerDeleted",)
"""Topics every service follows outside its consumers, without a group: customer deletions revoke
the customer's tokens in every service (shared/auth/revocations.py)."""


def service_grants(topic_prefix: str = "") -> list[Grants]:
    """One `Grants` per service, from its runtime (built, not started)."""
    grants = []
    for name, entry in SERVICES.items():
        runtime = entry.build(_UNUSED_DATABASE, "unused:9092", topic_prefix)
        writes = {topic_for(t, topic_prefix) for t in runtime.publishes} | {dead_letter_topic(topic_prefix)}
        reads = {topic_for(t, topic_prefix) for t in EVERY_SERVICE_READS}
        groups: set[str] = set()
        for consumer in runtime.consumers:
            reads.update(consumer.topics_with_prefix(topic_prefix))
            groups.add(consumer.group_with_prefix(topic_prefix))
        grants.append(Grants(name, frozenset(writes), frozenset(reads), frozenset(groups)))
    return grants


def integrator_grants(topic_prefix: str = "", services: list[Grants] | None = None) -> Grants:
    """Write the inbound topics; read what the services publish (not their dead letters)."""
    services = service_grants(topic_prefix) if services is None else services
    published = set().union(*(g.writes for g in services)) - {dead_letter_topic(topic_prefix)}
    return Grants(
        INTEGRATOR,
        frozenset(topic_for(t, topic_prefix) for t in INBOUND),
        frozenset(published),
        frozenset({f"{topic_prefix}{INTEGRATOR}"}),
    )


def platform_grants(topic_prefix: str = "") -> list[Grants]:
    """Every principal's grants (the super users need none)."""
    services = service_grants(topic_prefix)
    return [*services, integrator_grants(topic_prefix, services)]


async def apply_platform_acls(
    bootstrap_servers: str, topic_prefix: str = "", credentials: KafkaCredentials | None = None
) -> int:
    """Create the platform's ACLs for `topic_prefix` (idempotent); return how many bindings."""
    admin = credentials or KafkaCredentials.from_environment()
    bindings = await create_acls(bootstrap_servers, platform_grants(topic_prefix), admin)
    log.debug("kafka: %d ACL bindings for topic prefix %r", len(bindings), topic_prefix)
    return len(bindings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The platform's Kafka ACLs: print them, or --apply them.")
    parser.add_argument("--bootstrap", help="apply to this Kafka (as KAFKA_SASL_USERNAME, a super user)")
    parser.add_argument("--topic-prefix", default="", help="the platform's TOPIC_PREFIX")
    args = parser.parse_args(argv)
    if args.bootstrap:
        count = asyncio.run(apply_platform_acls(args.bootstrap, args.topic_prefix))
        print(f"{count} ACL bindings applied")
        return 0
    for grant in platform_grants(args.topic_prefix):
        for binding in grant.bindings():
            print(
                f"User:{binding.principal} {binding.operation.name} "
                f"{binding.resource.name} {binding.pattern.name} {binding.name}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
