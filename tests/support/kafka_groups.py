"""What the Kafka admin API says: who in a consumer group owns which partitions, and how the
topics are replicated."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment


async def assignments(bootstrap: str, group: str) -> dict[str, list[str]]:
    """member id -> ["topic[partition]", ...] for every member of `group` right now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="chaos-inspector")
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    members: dict[str, list[str]] = {}
    for described in response.groups:
        for member in described[5]:
            member_id, raw = member[0], member[4]
            owned = ConsumerProtocolMemberAssignment.decode(raw).partitions() if raw else []
            members[member_id] = sorted(f"{tp.topic}[{tp.partition}]" for tp in owned)
    return members


def describe(members: dict[str, list[str]], prefix: str = "") -> str:
    """One line per member, topic names without the test's prefix."""
    return "; ".join(
        f"{member_id[-8:]}: {len(owned)} partitions ({', '.join(p.removeprefix(prefix) for p in owned[:4])}"
        f"{', ...' if len(owned) > 4 else ''})"
        for member_id, owned in sorted(members.items())
    )


async def replication(bootstrap: str, prefix: str) -> dict[str, set[int]]:
    """topic -> the replica counts of its partitions, for every topic named with `prefix`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="chaos-inspector")
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(prefix)]
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return {t["topic"]: {len(p["replicas"]) for p in t["partitions"]} for t in described}
