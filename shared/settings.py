"""Settings every service reads from the environment (pydantic-settings); services subclass it."""

from __future__ import annotations

import logging

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-in-production"
DEV_CLIENT_ID = "checkout-admin"
DEV_CLIENT_SECRET = "checkout-admin-secret"


class ServiceSettings(BaseSettings):
    """DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, JWT_SECRET, CLIENT_ID, CLIENT_SECRET, ..."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    service_name: str = "service"
    database_url: str = ""
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    client_id: str = DEV_CLIENT_ID
    client_secret: SecretStr = SecretStr(DEV_CLIENT_SECRET)
    token_ttl_seconds: int = 3600
    customer_token_ttl_seconds: int = 86_400
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    public_base_url: str = ""
    log_level: str = "INFO"
    log_format: str = "json"
    db_pool_size: int = 10

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"postgresql://postgres@127.0.0.1:5432/{self.service_name}"
        return self

    def warn_about_defaults(self) -> None:
        """Development defaults are fine on a laptop and dangerous anywhere else: say so once."""
        log = logging.getLogger("settings")
        if self.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
            log.warning("JWT_SECRET is the development default; set it in production")
        if self.client_secret.get_secret_value() == DEV_CLIENT_SECRET:
            log.warning("CLIENT_SECRET is the development default; set it in production")
