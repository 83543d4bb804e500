"""Whether a Kafka consumer is a settled member of its group right now, and of which generation.

An offset commit is only safe from a settled member. aiokafka answers a commit refused with
`IllegalGeneration` or `UnknownMemberId` by dropping the member's generation and joining the group
again. A commit sent with the old generation while a rebalance is forming the next one is refused
exactly that way once the next generation exists: the member throws away the membership it has just
been given, which starts another rebalance for the whole group, in which the next stale commit does
the same. Issue 23 saw a group of two take 93 s to serve again after one member was killed.

aiokafka has no public flag for "rebalancing"; this reads its coordinator's state (the version is
pinned in pyproject.toml, and tests/kernel/test_group_membership.py checks the attributes exist).
"""

from __future__ import annotations

from typing import Any

NO_GENERATION = -1  # aiokafka's OffsetCommitRequest.DEFAULT_GENERATION_ID: not a member


def generation(consumer: Any) -> int:
    """The group generation the consumer belongs to, or NO_GENERATION while it has none."""
    coordinator = getattr(consumer, "_coordinator", None)
    return int(getattr(coordinator, "generation", NO_GENERATION))


def settled(consumer: Any) -> bool:
    """True when the consumer has its assignment of the current generation and no rejoin is pending.

    False from the moment a rebalance is known (a heartbeat or a commit answered "rebalancing", a
    member's metadata changed) until the new assignment is in place: the JoinGroup and SyncGroup
    round trips, and the time a join waits for members that died without leaving.
    """
    coordinator = getattr(consumer, "_coordinator", None)
    subscriptions = getattr(consumer, "_subscription", None)
    if coordinator is None or subscriptions is None:
        return False  # not started
    return (
        coordinator.generation != NO_GENERATION
        and not coordinator._rejoin_needed_fut.done()
        and not subscriptions.reassignment_in_progress
    )


def stopped(consumer: Any) -> bool:
    """True once the consumer is stopped: what it handled can no longer be committed by it."""
    return bool(getattr(consumer, "_closed", False))
