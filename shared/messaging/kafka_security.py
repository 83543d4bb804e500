"""Who a Kafka client is: the one place every client in the repository gets its security options from.

The broker authenticates every connection (SASL/SCRAM-SHA-512) and authorises it by principal
(`StandardAuthorizer` ACLs, see `shared.messaging.kafka_acls`), so that an integrator's bug, or
anyone on the network, cannot publish `PaymentCaptured`. A process learns its principal from the
environment:

- ``KAFKA_SECURITY_PROTOCOL``: ``SASL_PLAINTEXT`` (the default), ``SASL_SSL`` (TLS, with
  ``KAFKA_SSL_CAFILE`` naming the CA bundle when the broker's certificate is not publicly trusted),
  or ``PLAINTEXT`` (no authentication: a broker without security, and the switch that starts the
  devstack's brokers without it);
- ``KAFKA_SASL_USERNAME`` (default ``admin``) and ``KAFKA_SASL_PASSWORD`` (default: the principal's
  public development password, :func:`development_password`).

The devstack gives each service process its own principal; tests and tools run as ``admin``.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from faststream.security import BaseSecurity, SASLScram512

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]
PROTOCOLS: tuple[SecurityProtocol, ...] = ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL")
PROTOCOL_ENV = "KAFKA_SECURITY_PROTOCOL"
USERNAME_ENV = "KAFKA_SASL_USERNAME"
PASSWORD_ENV = "KAFKA_SASL_PASSWORD"
CAFILE_ENV = "KAFKA_SSL_CAFILE"
DEFAULT_PROTOCOL: SecurityProtocol = "SASL_PLAINTEXT"
MECHANISM = "SCRAM-SHA-512"

ADMIN = "admin"
"""A super user: checkout-admin, the devstack's own calls, the benchmark and the tests."""
BROKER = "broker"
"""A super user the brokers authenticate as to each other and to the controllers."""
INTEGRATOR = "integrator"
"""Other backend systems (a WMS, a 3PL, a catalogue): may publish only the inbound topics."""
SERVICE_PRINCIPALS = ("cart", "order", "payment", "inventory", "fulfillment")
"""One principal per service: each may publish only the topics that service owns."""
CLIENT_PRINCIPALS = (*SERVICE_PRINCIPALS, INTEGRATOR, ADMIN)
SUPER_USERS = (ADMIN, BROKER)


def development_password(principal: str) -> str:
    """The public development password of a principal (in this repository: never for production)."""
    return f"{principal}-dev-only-kafka-password"


DEVELOPMENT_PASSWORDS = frozenset(development_password(p) for p in (*CLIENT_PRINCIPALS, BROKER))
"""Every published Kafka password, for the settings' unsafe-secret check."""


@dataclass(frozen=True)
class KafkaCredentials:
    """A security protocol and, unless PLAINTEXT, a SCRAM principal and its password."""

    protocol: SecurityProtocol = DEFAULT_PROTOCOL
    username: str = ADMIN
    password: str = field(default=development_password(ADMIN), repr=False)
    cafile: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> KafkaCredentials:
        """The credentials the environment names (see the module doc), development defaults otherwise."""
        env = os.environ if environ is None else environ
        named = (env.get(PROTOCOL_ENV) or DEFAULT_PROTOCOL).strip().upper()
        protocol = next((p for p in PROTOCOLS if p == named), None)
        if protocol is None:
            raise ValueError(f"{PROTOCOL_ENV}={named!r}: expected one of {', '.join(PROTOCOLS)}")
        username = env.get(USERNAME_ENV) or ADMIN
        password = env.get(PASSWORD_ENV) or development_password(username)
        return cls(protocol, username, password, env.get(CAFILE_ENV) or None)

    @classmethod
    def development(cls, principal: str, protocol: SecurityProtocol = DEFAULT_PROTOCOL) -> KafkaCredentials:
        """A principal with its public development password (the devstack's)."""
        return cls(protocol, principal, development_password(principal))

    @property
    def authenticated(self) -> bool:
        """False for PLAINTEXT: the broker knows nobody."""
        return self.protocol != "PLAINTEXT"

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer, admin client and client."""
        if not self.authenticated:
            return {}
        options: dict[str, Any] = {
            "security_protocol": self.protocol,
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
        }
        if self.protocol == "SASL_SSL":
            options["ssl_context"] = self.ssl_context()
        return options

    def faststream_security(self) -> BaseSecurity | None:
        """The same, for FastStream's `KafkaBroker(security=...)`."""
        if not self.authenticated:
            return None
        if self.protocol == "SASL_SSL":
            return SASLScram512(self.username, self.password, ssl_context=self.ssl_context())
        return SASLScram512(self.username, self.password)

    def ssl_context(self) -> ssl.SSLContext:
        """TLS that verifies the broker (against ``KAFKA_SSL_CAFILE`` when given)."""
        return ssl.create_default_context(cafile=self.cafile)

    def environment(self) -> dict[str, str]:
        """The variables that give a child process these credentials."""
        env: dict[str, str] = {PROTOCOL_ENV: self.protocol}
        if self.authenticated:
            env[USERNAME_ENV] = self.username
            env[PASSWORD_ENV] = self.password
        if self.cafile:
            env[CAFILE_ENV] = self.cafile
        return env


def kafka_client_options(credentials: KafkaCredentials | None = None) -> dict[str, Any]:
    """aiokafka keyword arguments for `credentials`, by default the environment's (see the module doc)."""
    return (credentials or KafkaCredentials.from_environment()).client_options()


def kafka_security(credentials: KafkaCredentials | None = None) -> BaseSecurity | None:
    """FastStream's `security=` for `credentials`, by default the environment's."""
    return (credentials or KafkaCredentials.from_environment()).faststream_security()


def secured_by_default(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the devstack's brokers require authentication: unless ``KAFKA_SECURITY_PROTOCOL=PLAINTEXT``."""
    return KafkaCredentials.from_environment(environ).authenticated


def principal_environment(principal: str, stack_env: Mapping[str, str]) -> dict[str, str]:
    """The variables that make a child process `principal`, with its development password, on the
    Kafka `stack_env` describes; nothing when `stack_env` names no protocol (a Kafka not ours: the
    process inherits whatever credentials its parent was given)."""
    if PROTOCOL_ENV not in stack_env:
        return {}
    stack = KafkaCredentials.from_environment(stack_env)
    if not stack.authenticated:
        return stack.environment()
    return KafkaCredentials.development(principal, stack.protocol).environment()
