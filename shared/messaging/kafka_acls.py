"""Who may say what on the bus, as Kafka ACLs: grants per principal, turned into bindings and applied.

A principal may write (and create) only the topics it owns, read the topics it consumes, and join
only consumer groups under its own prefix (so a shadow's ``CONSUMER_GROUP_SUFFIX`` group is its own
too). Everything else is refused by the broker's `StandardAuthorizer` (no ACL: no access), except
for the super users (``admin``, ``broker``). Creating a binding that exists is a no-op, so applying
the same grants again, on every start, is safe.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from aiokafka.client import AIOKafkaClient

from shared.messaging.kafka_acl_requests import (
    AlterUserScramCredentialsRequest,
    CreateAclsRequest,
    result_errors,
)
from shared.messaging.kafka_security import KafkaCredentials


class ResourceType(IntEnum):
    TOPIC = 2
    GROUP = 3


class PatternType(IntEnum):
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    READ = 3
    WRITE = 4
    CREATE = 5
    DESCRIBE = 8


ALLOW = 3
ANY_HOST = "*"
SCRAM_SHA_512 = 2
SCRAM_ITERATIONS = 8192


@dataclass(frozen=True)
class AclBinding:
    """One ALLOW rule: `principal` may do `operation` on the resource(s) `name` names."""

    principal: str
    resource: ResourceType
    name: str
    operation: Operation
    pattern: PatternType = PatternType.LITERAL

    def creation(self) -> tuple[int, str, int, str, str, int, int]:
        """The CreateAcls entry."""
        return (
            int(self.resource),
            self.name,
            int(self.pattern),
            f"User:{self.principal}",
            ANY_HOST,
            int(self.operation),
            ALLOW,
        )


@dataclass(frozen=True)
class Grants:
    """What one principal may do: topics it writes, topics it reads, consumer-group prefixes it uses."""

    principal: str
    writes: frozenset[str] = field(default_factory=frozenset)
    reads: frozenset[str] = field(default_factory=frozenset)
    group_prefixes: frozenset[str] = field(default_factory=frozenset)

    def bindings(self) -> list[AclBinding]:
        """WRITE/DESCRIBE/CREATE on written topics, READ/DESCRIBE/CREATE on read ones (a consumer may
        start before the producer; creating a topic lets nobody write it), READ on its groups."""
        rules: set[AclBinding] = set()
        for topic in self.writes:
            for operation in (Operation.WRITE, Operation.DESCRIBE, Operation.CREATE):
                rules.add(AclBinding(self.principal, ResourceType.TOPIC, topic, operation))
        for topic in self.reads:
            for operation in (Operation.READ, Operation.DESCRIBE, Operation.CREATE):
                rules.add(AclBinding(self.principal, ResourceType.TOPIC, topic, operation))
        for prefix in self.group_prefixes:
            rules.add(
                AclBinding(self.principal, ResourceType.GROUP, prefix, Operation.READ, PatternType.PREFIXED)
            )
        return sorted(rules, key=lambda b: (b.resource, b.name, b.operation))


class KafkaAdminRefused(RuntimeError):
    """The broker refused an ACL or a SCRAM credential (the first error of each kind, with its code)."""


async def _send(bootstrap_servers: str, credentials: KafkaCredentials, request: object) -> object:
    client = AIOKafkaClient(
        bootstrap_servers=bootstrap_servers,
        client_id="checkout-acl-admin",
        request_timeout_ms=15_000,
        **credentials.client_options(),
    )
    await client.bootstrap()
    try:
        return await client.send(client.get_random_node(), request)
    finally:
        await client.close()


async def create_acls(
    bootstrap_servers: str, grants: Iterable[Grants], credentials: KafkaCredentials
) -> list[AclBinding]:
    """Create every binding of `grants` (as `credentials`, a super user); return them."""
    bindings = [binding for grant in grants for binding in grant.bindings()]
    if bindings:
        response = await _send(
            bootstrap_servers, credentials, CreateAclsRequest([b.creation() for b in bindings])
        )
        errors = result_errors(response)
        if errors:
            raise KafkaAdminRefused(f"{len(errors)} ACLs refused, e.g. {errors[0]}")
    return bindings


def salted_password(password: str, salt: bytes, iterations: int = SCRAM_ITERATIONS) -> bytes:
    """SCRAM's SaltedPassword: Hi(password, salt, i), which is PBKDF2 with HMAC-SHA-512 (RFC 5802)."""
    return hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)


async def upsert_scram_users(
    bootstrap_servers: str, passwords: Sequence[tuple[str, str]], credentials: KafkaCredentials
) -> None:
    """Create or replace the SCRAM-SHA-512 credentials of each (user, password)."""
    upsertions = []
    for user, password in passwords:
        salt = os.urandom(32)
        upsertions.append((user, SCRAM_SHA_512, SCRAM_ITERATIONS, salt, salted_password(password, salt)))
    response = await _send(bootstrap_servers, credentials, AlterUserScramCredentialsRequest(upsertions))
    errors = result_errors(response)
    if errors:
        raise KafkaAdminRefused(f"{len(errors)} SCRAM credentials refused, e.g. {errors[0]}")
