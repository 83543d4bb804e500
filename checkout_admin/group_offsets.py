"""`offsets show GROUP` and `offsets reset GROUP --to ...`: where a consumer group stands, and moving it.

A group's committed offsets are what its service resumes from after a restart. Moving them back
makes the service consume again what followed (its inbox turns what it already applied into
no-ops); moving them forward skips messages. Offsets are only moved while the group has no live
members: a running member would commit its own position over ours, and the broker refuses commits
from outside a group that has members anyway (`--force` skips our check, not the broker's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from aiokafka.structs import OffsetAndMetadata

from checkout_admin.config import StackConfig
from checkout_admin.connections import start_kafka
from checkout_admin.offsets import partitions_of
from checkout_admin.registry import SERVICES
from shared.http.dates import utc_start
from shared.messaging.kafka_security import kafka_client_options

EARLIEST = "earliest"
LATEST = "latest"
_REFUSED = (CommitFailedError, IllegalGenerationError, RebalanceInProgressError, UnknownMemberIdError)


@dataclass(frozen=True)
class PartitionOffsets:
    topic: str
    partition: int
    committed: int | None
    """None: the group never committed here (it starts at the partition's beginning)."""
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.committed or 0)


@dataclass(frozen=True)
class GroupOffsets:
    group: str
    state: str
    members: list[str]
    partitions: list[PartitionOffsets]

    @property
    def live(self) -> bool:
        return bool(self.members)


@dataclass(frozen=True)
class Target:
    """Where `reset` moves the group: earliest, latest, a time, or explicit partition offsets."""

    kind: str
    moment: datetime | None = None
    explicit: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class PlannedOffset:
    topic: str
    partition: int
    current: int | None
    planned: int


def parse_target(values: Sequence[str], prefix: str) -> Target:
    """`earliest`, `latest`, an ISO 8601 time, or one or more `TOPIC:PARTITION=OFFSET`."""
    if len(values) == 1 and values[0] in (EARLIEST, LATEST):
        return Target(values[0])
    if all("=" in v for v in values):
        explicit = []
        for value in values:
            where, _, offset = value.rpartition("=")
            topic, _, partition = where.rpartition(":")
            if not topic or not partition.isdigit() or not offset.isdigit():
                raise SystemExit(f"--to {value!r}: expected TOPIC:PARTITION=OFFSET")
            explicit.append((full_name(topic, prefix), int(partition), int(offset)))
        return Target("offsets", explicit=tuple(explicit))
    if len(values) == 1:
        try:
            return Target("time", moment=utc_start(values[0]))
        except ValueError:
            pass
    raise SystemExit(
        f"--to {' '.join(values)!r}: expected earliest, latest, an ISO 8601 time or TOPIC:PARTITION=OFFSET"
    )


def full_name(name: str, prefix: str) -> str:
    return name if name.startswith(prefix) else prefix + name


def _group_topics(config: StackConfig, group: str) -> list[str]:
    """The topics the platform's consumer of that name reads (a group nobody here declares: none)."""
    for name, entry in SERVICES.items():
        runtime = entry.build(config.database_url(name), config.kafka, config.topic_prefix)
        for consumer in runtime.consumers:
            if config.topic_prefix + consumer.name == group:
                return list(consumer.topics_with_prefix(config.topic_prefix))
    return []


def _describe(described: list[Any], group: str) -> tuple[str, list[str]]:
    for response in described:
        for entry in response.groups:
            error_code, group_id, state, _protocol_type, _protocol, members = entry[:6]
            if group_id == group and not error_code:
                return str(state), [f"{m[1]}@{m[2]}" for m in members]
    return "Dead", []


async def show(config: StackConfig, group_name: str) -> GroupOffsets:
    group = full_name(group_name, config.topic_prefix)
    admin = AIOKafkaAdminClient(
        bootstrap_servers=config.kafka, client_id="checkout-admin", **kafka_client_options()
    )
    await start_kafka(config, admin)
    try:
        state, members = _describe(await admin.describe_consumer_groups([group]), group)
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    topics = sorted(set(_group_topics(config, group)) | {tp.topic for tp in committed})
    if not topics:
        raise SystemExit(f"no consumer group {group}: it has committed nothing and no service declares it")
    partitions = [tp for topic in topics for tp in await partitions_of(config, topic)]
    ends = await _ends(config, partitions)
    rows = [
        PartitionOffsets(
            tp.topic,
            tp.partition,
            committed[tp].offset if tp in committed and committed[tp].offset >= 0 else None,
            ends[tp],
        )
        for tp in partitions
    ]
    return GroupOffsets(group, state, members, rows)


async def _ends(config: StackConfig, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    reader = AIOKafkaConsumer(
        bootstrap_servers=config.kafka, group_id=None, enable_auto_commit=False, **kafka_client_options()
    )
    await start_kafka(config, reader)
    try:
        return dict(await reader.end_offsets(partitions)) if partitions else {}
    finally:
        await reader.stop()


async def plan(
    config: StackConfig, current: GroupOffsets, target: Target, topic: str | None
) -> list[PlannedOffset]:
    """The offsets a reset would commit, partition by partition."""
    chosen = [
        p for p in current.partitions if topic is None or p.topic == full_name(topic, config.topic_prefix)
    ]
    if target.kind == "offsets":
        known = {(p.topic, p.partition): p for p in current.partitions}
        planned = []
        for name, partition, offset in target.explicit:
            found = known.get((name, partition))
            if found is None:
                raise SystemExit(f"{current.group} does not read {name}:{partition}")
            planned.append(PlannedOffset(name, partition, found.committed, min(offset, found.end)))
        return planned
    if not chosen:
        raise SystemExit(f"{current.group} does not read {topic}")
    tps = [TopicPartition(p.topic, p.partition) for p in chosen]
    reader = AIOKafkaConsumer(
        bootstrap_servers=config.kafka, group_id=None, enable_auto_commit=False, **kafka_client_options()
    )
    await start_kafka(config, reader)
    try:
        if target.kind == EARLIEST:
            offsets = dict(await reader.beginning_offsets(tps))
        elif target.kind == LATEST:
            offsets = dict(await reader.end_offsets(tps))
        else:
            assert target.moment is not None
            ends = await reader.end_offsets(tps)
            millis = int(target.moment.timestamp() * 1000)
            found = await reader.offsets_for_times({tp: millis for tp in tps})
            offsets = {tp: (at.offset if (at := found.get(tp)) is not None else ends[tp]) for tp in tps}
    finally:
        await reader.stop()
    return [
        PlannedOffset(p.topic, p.partition, p.committed, offsets[TopicPartition(p.topic, p.partition)])
        for p in chosen
    ]


async def commit(config: StackConfig, group: str, planned: list[PlannedOffset]) -> None:
    """Commit the planned offsets for the group, from a consumer that does not join it."""
    committer = AIOKafkaConsumer(
        bootstrap_servers=config.kafka, group_id=group, enable_auto_commit=False, **kafka_client_options()
    )
    await start_kafka(config, committer)
    try:
        tps = {TopicPartition(p.topic, p.partition): p.planned for p in planned}
        committer.assign(list(tps))
        try:
            await committer.commit(
                {tp: OffsetAndMetadata(offset, "checkout-admin reset") for tp, offset in tps.items()}
            )
        except _REFUSED as exc:  # a group with members refuses a commit from outside it
            raise SystemExit(
                f"checkout-admin: Kafka refused the new offsets of {group} ({type(exc).__name__}): "
                "stop the group's members first"
            ) from None
    finally:
        await committer.stop()


def refusal(current: GroupOffsets) -> str:
    """Why a reset is not done now: the group has live members."""
    return (
        f"checkout-admin: {current.group} has {len(current.members)} live member(s) "
        f"({', '.join(current.members)}); stop its service first, or pass --force"
    )
