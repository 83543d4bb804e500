"""What the Kafka admin API says: who in a consumer group owns which partitions, and how the
topics are replicated."""

from __future__ import annotations

from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from shared.messaging.kafka_security import kafka_client_options


async def _described(bootstrap: str, group: str) -> tuple[Any, ...]:
    """The DescribeGroups entry of `group`: (error, group, state, protocol type, protocol, members)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="group-inspector", **kafka_client_options()
    )
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    (described,) = response.groups
    return tuple(described)


async def assignments(bootstrap: str, group: str) -> dict[str, list[str]]:
    """member id -> ["topic[partition]", ...] for every member of `group` right now."""
    members: dict[str, list[str]] = {}
    for member in (await _described(bootstrap, group))[5]:
        member_id, raw = member[0], member[4]
        owned = ConsumerProtocolMemberAssignment.decode(raw).partitions() if raw else []
        members[member_id] = sorted(f"{tp.topic}[{tp.partition}]" for tp in owned)
    return members


async def settled_members(bootstrap: str, group: str) -> int | None:
    """How many members a group has once it is `Stable` (serving), or None while it rebalances."""
    described = await _described(bootstrap, group)
    return len(described[5]) if described[2] == "Stable" else None


def describe(members: dict[str, list[str]], prefix: str = "") -> str:
    """One line per member, topic names without the test's prefix."""
    return "; ".join(
        f"{member_id[-8:]}: {len(owned)} partitions ({', '.join(p.removeprefix(prefix) for p in owned[:4])}"
        f"{', ...' if len(owned) > 4 else ''})"
        for member_id, owned in sorted(members.items())
    )


async def replication(bootstrap: str, prefix: str) -> dict[str, set[int]]:
    """topic -> the replica counts of its partitions, for every topic named with `prefix`."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="chaos-inspector", **kafka_client_options()
    )
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(prefix)]
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return {t["topic"]: {len(p["replicas"]) for p in t["partitions"]} for t in described}
