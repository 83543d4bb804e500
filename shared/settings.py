"""Settings every service reads from the environment (no prefix); services subclass to add theirs.

Development defaults let `make run` work on a fresh machine; the secrets among them are
`SecretStr`, so neither `repr(settings)` nor a log line can leak them, and using the
development JWT secret or client secret is logged as a warning once per settings object.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-in-production"
DEV_CLIENT_ID = "checkout-admin"
DEV_CLIENT_SECRET = "checkout-admin-secret"

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
    topic_prefix: str = ""
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    client_id: str = DEV_CLIENT_ID
    client_secret: SecretStr = SecretStr(DEV_CLIENT_SECRET)
    token_ttl_seconds: int = Field(default=3600, gt=0)
    customer_token_ttl_seconds: int = Field(default=86_400, gt=0)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65_535)
    public_base_url: str = ""
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "json"
    db_pool_size: int = Field(default=10, gt=0)

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

    def warn_about_defaults(self) -> None:
        """Development defaults are fine on a laptop and dangerous anywhere else: say so, once."""
        if self._warned:
            return
        self._warned = True
        log = logging.getLogger("shared.settings")
        if self.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
            log.warning("JWT_SECRET is the development default; set it in production")
        if self.client_secret.get_secret_value() == DEV_CLIENT_SECRET:
            log.warning("CLIENT_SECRET is the development default; set it in production")
