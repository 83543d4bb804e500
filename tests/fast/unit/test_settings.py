"""Settings from the environment, with development defaults that are safe to print."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from shared.logging import JsonFormatter
from shared.settings import DEV_JWT_SECRET, ServiceSettings

ENV = {
    "SERVICE_NAME": "orders",
    "KAFKA_BOOTSTRAP_SERVERS": "k1:9092,k2:9092",
    "TOPIC_PREFIX": "stack7.",
    "JWT_SECRET": "a-real-secret-value-for-production-use",
    "CLIENT_ID": "store",
    "CLIENT_SECRET": "super-secret-client-secret",
    "TOKEN_TTL_SECONDS": "600",
    "HTTP_HOST": "0.0.0.0",
    "HTTP_PORT": "9100",
    "LOG_LEVEL": "debug",
    "LOG_FORMAT": "TEXT",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in [*ENV, "DATABASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_settings_come_from_the_environment_without_a_prefix(clean_env: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        clean_env.setenv(name, value)
    settings = ServiceSettings()
    assert settings.service_name == "orders" and settings.kafka_bootstrap_servers == "k1:9092,k2:9092"
    assert settings.topic_prefix == "stack7." and settings.client_id == "store"
    assert settings.jwt_secret.get_secret_value() == ENV["JWT_SECRET"]
    assert settings.client_secret.get_secret_value() == ENV["CLIENT_SECRET"]
    assert (settings.token_ttl_seconds, settings.http_host, settings.http_port) == (600, "0.0.0.0", 9100)
    assert (settings.log_level, settings.log_format) == ("DEBUG", "text")
    assert settings.database_url == "postgresql://postgres@127.0.0.1:5432/orders"


def test_defaults_work_on_a_fresh_machine(clean_env: pytest.MonkeyPatch) -> None:
    settings = ServiceSettings()
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092" and settings.topic_prefix == ""
    assert settings.token_ttl_seconds == 3600 and settings.customer_token_ttl_seconds == 86_400
    assert settings.http_host == "127.0.0.1" and settings.log_format == "json"
    assert settings.client_id and settings.client_secret.get_secret_value()


def test_services_subclass_it_with_their_own_defaults_and_fields(clean_env: pytest.MonkeyPatch) -> None:
    class PaymentSettings(ServiceSettings):
        service_name: str = "payment"
        http_port: int = 8003
        stripe_api_key: str = "sk_test"

    clean_env.setenv("STRIPE_API_KEY", "sk_live_x")
    settings = PaymentSettings()
    assert settings.database_url.endswith("/payment") and settings.http_port == 8003
    assert settings.stripe_api_key == "sk_live_x"
    explicit = PaymentSettings(database_url="postgresql://db/x")
    assert explicit.database_url == "postgresql://db/x"


@pytest.mark.parametrize(
    ("field", "value"),
    [("log_format", "xml"), ("log_level", "LOUD"), ("token_ttl_seconds", 0), ("http_port", 70000)],
)
def test_nonsense_is_refused_at_start_up(clean_env: pytest.MonkeyPatch, field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        ServiceSettings.model_validate({field: value})


def test_secrets_never_show_in_repr_str_dumps_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    settings = ServiceSettings(jwt_secret="jwt-secret-value-123", client_secret="client-secret-value-456")
    with caplog.at_level(logging.INFO):
        logging.getLogger("unit").info("settings: %s %r", settings, settings, extra={"settings": settings})
    rendered = [repr(settings), str(settings), settings.model_dump_json(), caplog.text]
    rendered += [JsonFormatter("unit").format(r) for r in caplog.records]
    for text in rendered:
        assert "jwt-secret-value-123" not in text and "client-secret-value-456" not in text


def test_the_development_secret_is_warned_about_once(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    dev = ServiceSettings()
    assert dev.jwt_secret.get_secret_value() == DEV_JWT_SECRET
    with caplog.at_level(logging.WARNING, logger="shared.settings"):
        dev.warn_about_defaults()
        dev.warn_about_defaults()
    warnings = [r.getMessage() for r in caplog.records if r.name == "shared.settings"]
    assert sum("JWT_SECRET" in w for w in warnings) == 1 and sum("CLIENT_SECRET" in w for w in warnings) == 1

    caplog.clear()
    real = ServiceSettings(jwt_secret="x" * 40, client_secret="y" * 40)
    with caplog.at_level(logging.WARNING, logger="shared.settings"):
        real.warn_about_defaults()
    assert not [r for r in caplog.records if r.name == "shared.settings"]
