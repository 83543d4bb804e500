"""Settings every service reads from the environment (no prefix); services subclass to add theirs.

Development defaults let `make run` work on a fresh machine. The secrets among them are `SecretStr`,
so neither `repr(settings)` nor a log line can leak them, and they are public (they are in this
repository): a service started with one of them refuses to run (`require_safe_secrets`) unless
`ALLOW_DEV_SECRETS=1` says this is a development machine, where it only warns, once.
"""

from __future__ import annotations

import logging
from typing import ClassVar, Literal

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.messaging.admin import DEFAULT_PARTITIONS
from shared.messaging.kafka_security import DEFAULT_PROTOCOL, DEVELOPMENT_PASSWORDS, SecurityProtocol

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-in-production"
DEV_CLIENT_ID = "checkout-admin"
DEV_CLIENT_SECRET = "checkout-admin-secret"
COMPOSE_WEBHOOK_SECRET = "whsec_compose_development_only"
"""The Stripe webhook secret docker-compose.yml once fell back to: published, so never safe."""
DEV_SECRETS_FLAG = "ALLOW_DEV_SECRETS"
"""The variable that lets a service start with public secrets; the devstack and the tests set it."""
MIN_JWT_SECRET_BYTES = 32
"""HS256 keys shorter than the hash (RFC 7518 §3.2) can be brute-forced offline from any token."""

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["json", "text"]


class ServiceSettings(BaseSettings):
    """SERVICE_NAME, DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, JWT_SECRET, CLIENT_ID, ...

    Subclasses usually override the `service_name` and `http_port` defaults and add their own fields.
    """

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    service_name: str = "service"
    database_url: str = Field(default="", description="Defaults to a local database named after the service")
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: SecurityProtocol = Field(
        default=DEFAULT_PROTOCOL,
        description="KAFKA_SECURITY_PROTOCOL: SASL_PLAINTEXT, SASL_SSL or PLAINTEXT (every Kafka client "
        "reads it, with the two below, through shared/messaging/kafka_security.py)",
    )
    kafka_sasl_username: str = Field(default="admin", description="KAFKA_SASL_USERNAME: the Kafka principal")
    kafka_sasl_password: SecretStr = Field(
        default=SecretStr(""), description="KAFKA_SASL_PASSWORD: its password (empty: its development one)"
    )
    kafka_topic_partitions: int = Field(
        default=DEFAULT_PARTITIONS,
        ge=1,
        description="KAFKA_TOPIC_PARTITIONS: partitions of the topics the service creates (its runtime "
        "hands them to ensure_topics); 1 suits one instance of each service, 3 leave room for three",
    )
    topic_prefix: str = ""
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    client_id: str = DEV_CLIENT_ID
    client_secret: SecretStr = SecretStr(DEV_CLIENT_SECRET)
    token_audience: str = Field(
        default="",
        description="TOKEN_AUDIENCE: the `aud` of this deployment's tokens (defaults to CLIENT_ID), so a "
        "token of staging is not one of production even where they share a JWT secret",
    )
    token_ttl_seconds: int = Field(default=3600, gt=0)
    customer_token_ttl_seconds: int = Field(default=86_400, gt=0)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65_535)
    public_base_url: str = ""
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "json"
    db_pool_size: int = Field(default=10, gt=0)
    idempotency_key_ttl_seconds: int = Field(
        default=86_400,
        gt=0,
        description="IDEMPOTENCY_KEY_TTL_SECONDS: how long an Idempotency-Key's answer is kept for replay "
        "(24 h, as Stripe keeps its keys); after that the key is new again",
    )
    consumer_group_suffix: str = Field(
        default="",
        description="CONSUMER_GROUP_SUFFIX: appended to every consumer group of the instance, so that a "
        "shadow joins fresh groups (reading every topic from its start) instead of the live ones",
    )
    outbox_relay: bool = Field(
        default=True,
        description="OUTBOX_RELAY=off: no outbox relay, so the instance publishes no events (a shadow; "
        "dead letters are still published)",
    )
    allow_dev_secrets: bool = Field(
        default=False, description="ALLOW_DEV_SECRETS=1: start with public development secrets (warned)"
    )

    published_secrets: ClassVar[frozenset[str]] = frozenset(
        {DEV_JWT_SECRET, DEV_CLIENT_SECRET, COMPOSE_WEBHOOK_SECRET, *DEVELOPMENT_PASSWORDS}
    )
    """Secret values anyone can read in this repository; subclasses add the defaults of their own."""

    _warned: bool = PrivateAttr(default=False)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        """`LOG_LEVEL=debug` (or `warn`) is as common as `DEBUG`; accept it."""
        if not isinstance(value, str):
            return value
        level = value.strip().upper()
        return "WARNING" if level == "WARN" else level

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        """One database per service (DESIGN.md): default to a local one named after it."""
        if not self.database_url:
            self.database_url = f"postgresql://postgres@127.0.0.1:5432/{self.service_name}"
        return self

    def unsafe_secrets(self) -> list[str]:
        """What is wrong with the secrets, one sentence each: a public value, or a JWT key too short.

        Every `SecretStr` field is checked, so a service's own secrets (a subclass's) are covered too.
        An empty secret is not public: it means "off" (no Stripe key: no Stripe; no webhook secret:
        every webhook refused), except the JWT secret, which is never off.
        """
        problems = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value() in self.published_secrets:
                problems.append(f"{name.upper()} is a public development value")
        if len(self.jwt_secret.get_secret_value().encode()) < MIN_JWT_SECRET_BYTES:
            problems.append(f"JWT_SECRET is shorter than {MIN_JWT_SECRET_BYTES} bytes")
        return problems

    def require_safe_secrets(self) -> None:
        """Refuse public or weak secrets, unless ALLOW_DEV_SECRETS=1 (then warn, once).

        Anyone can sign an admin token with the published JWT secret, or ask for one with the
        published client secret: a service that accepted them outside development would be open.
        """
        problems = self.unsafe_secrets()
        if not problems:
            return
        if not self.allow_dev_secrets:
            raise UnsafeSecrets(problems)
        self.warn_about_defaults()

    def warn_about_defaults(self) -> None:
        """Development defaults are fine on a laptop and dangerous anywhere else: say so, once."""
        if self._warned:
            return
        self._warned = True
        log = logging.getLogger("shared.settings")
        for problem in self.unsafe_secrets():
            log.warning("%s; set it before this runs anywhere but a development machine", problem)


class UnsafeSecrets(Exception):
    """A service was started with public or weak secrets and without ALLOW_DEV_SECRETS=1."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "Refusing to start: "
            + "; ".join(problems)
            + ". Set each to a random secret of your own (python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'), or, on a development machine only, set "
            f"{DEV_SECRETS_FLAG}=1."
        )
