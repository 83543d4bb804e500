"""The two Kafka admin requests aiokafka lacks: CreateAcls (v1) and AlterUserScramCredentials (v0).

aiokafka 0.14's admin client can create topics but neither ACLs nor SCRAM users, and the Java tools
cost a JVM start per call; these are the wire structures from Kafka's own message definitions
(clients/src/main/resources/common/message/CreateAclsRequest.json, AlterUserScramCredentials*.json),
sent through an ordinary `AIOKafkaClient` that negotiates the version with the broker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    Array,
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    String,
    TaggedFields,
)

CREATE_ACLS = 30
ALTER_USER_SCRAM_CREDENTIALS = 51


class CreateAclsResponse_v1(Response):  # type: ignore[misc]
    API_KEY = CREATE_ACLS
    API_VERSION = 1
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("results", Array(("error_code", Int16), ("error_message", String("utf-8")))),
    )


class CreateAclsRequest_v1(RequestStruct):  # type: ignore[misc]
    API_KEY = CREATE_ACLS
    API_VERSION = 1
    RESPONSE_TYPE = CreateAclsResponse_v1
    SCHEMA = Schema(
        (
            "creations",
            Array(
                ("resource_type", Int8),
                ("resource_name", String("utf-8")),
                ("resource_pattern_type", Int8),
                ("principal", String("utf-8")),
                ("host", String("utf-8")),
                ("operation", Int8),
                ("permission_type", Int8),
            ),
        ),
    )


class CreateAclsRequest(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
    """Create ACL bindings; creating one that exists already is a no-op (idempotent)."""

    API_KEY = CREATE_ACLS

    def __init__(self, creations: Sequence[tuple[int, str, int, str, str, int, int]]) -> None:
        self.creations = list(creations)

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(creations=self.creations)


class AlterUserScramCredentialsResponse_v0(Response):  # type: ignore[misc]
    API_KEY = ALTER_USER_SCRAM_CREDENTIALS
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentialsRequest_v0(RequestStruct):  # type: ignore[misc]
    API_KEY = ALTER_USER_SCRAM_CREDENTIALS
    API_VERSION = 0
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = AlterUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields)),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentialsRequest(Request[AlterUserScramCredentialsRequest_v0]):  # type: ignore[misc]
    """Create or replace SCRAM credentials (the salted password, never the password, goes over the wire)."""

    API_KEY = ALTER_USER_SCRAM_CREDENTIALS

    def __init__(self, upsertions: Sequence[tuple[str, int, int, bytes, bytes]]) -> None:
        self.upsertions: list[tuple[Any, ...]] = [(*u, {}) for u in upsertions]

    def build(
        self, request_struct_class: type[AlterUserScramCredentialsRequest_v0]
    ) -> AlterUserScramCredentialsRequest_v0:
        return request_struct_class(deletions=[], upsertions=self.upsertions, tags={})


def result_errors(response: Any) -> list[tuple[int, str]]:
    """The (error code, message) of every result of either response that failed."""
    errors = []
    for result in response.results:
        code, message = (result[0], result[1]) if len(result) == 2 else (result[1], result[2])
        if code:
            errors.append((code, message or ""))
    return errors
