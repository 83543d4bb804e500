"""What `make run` reads from the environment, and the clear errors it gives before starting anything."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from devstack import system
from devstack.apps import (
    SERVICES,
    AppSettings,
    application_processes,
    check_gateway_port,
    service_env,
)
from devstack.errors import DevstackError, MissingDependencyError
from devstack.ports import LOOPBACK, free_port
from gateway.config import ROUTED_SERVICES, RateLimit, compose_config, local_config, render
from shared.settings import DEV_CLIENT_ID, DEV_CLIENT_SECRET

ENDPOINTS = {
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
    "STRIPE_API_BASE": "http://127.0.0.1:8420",
    "STRIPE_API_KEY": "sk_test_12345",
}


def test_defaults_are_port_8080_the_dev_client_and_a_fresh_jwt_secret_per_stack():
    one, two = AppSettings.from_environ({}), AppSettings.from_environ({})
    assert one.gateway_url == "http://127.0.0.1:8080"
    assert (one.client_id, one.client_secret) == (DEV_CLIENT_ID, DEV_CLIENT_SECRET)
    assert one.topic_prefix == ""
    assert one.jwt_secret != two.jwt_secret and len(one.jwt_secret) >= 32
    assert one.jwt_secret not in repr(one) and one.client_secret not in repr(one)


def test_the_environment_overrides_every_setting():
    settings = AppSettings.from_environ(
        {
            "GATEWAY_PORT": "9090",
            "TOPIC_PREFIX": "dev.",
            "JWT_SECRET": "s" * 40,
            "CLIENT_ID": "ops",
            "CLIENT_SECRET": "hunter2",
            "STRIPE_WEBHOOK_SECRET": "whsec_x",
            "DEVSTACK_SERVICES": "cart, order",
        }
    )
    assert settings.gateway_url == "http://127.0.0.1:9090"
    assert (settings.topic_prefix, settings.jwt_secret) == ("dev.", "s" * 40)
    assert (settings.client_id, settings.client_secret, settings.stripe_webhook_secret) == (
        "ops",
        "hunter2",
        "whsec_x",
    )
    assert settings.selected() == ["cart", "order"]
    assert AppSettings.from_environ({"GATEWAY_PORT": "0"}).gateway_port != 0  # 0: any free port


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"GATEWAY_PORT": "http"}, "GATEWAY_PORT"),
        ({"GATEWAY_PORT": "70000"}, "GATEWAY_PORT"),
        ({"DEVSTACK_SERVICES": "cart,shipping"}, "shipping"),
    ],
)
def test_bad_settings_are_refused_clearly(environ: dict[str, str], message: str):
    with pytest.raises(DevstackError, match=message):
        AppSettings.from_environ(environ)


def test_a_busy_gateway_port_is_refused_before_anything_starts():
    with socket.socket() as busy:
        busy.bind((LOOPBACK, 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(DevstackError, match="set GATEWAY_PORT"):
            check_gateway_port(AppSettings(gateway_port=port))


def test_each_service_gets_its_own_database_and_the_shared_settings():
    settings = AppSettings(gateway_port=8081, topic_prefix="t.", database_prefix="x_")
    cart = service_env("cart", 20001, ENDPOINTS, settings)
    assert cart["DATABASE_URL"] == "postgresql://postgres@127.0.0.1:5432/x_cart"
    assert (cart["HTTP_HOST"], cart["HTTP_PORT"]) == ("127.0.0.1", "20001")
    assert cart["PUBLIC_BASE_URL"] == "http://127.0.0.1:8081"
    assert (cart["TOPIC_PREFIX"], cart["KAFKA_BOOTSTRAP_SERVERS"]) == ("t.", "127.0.0.1:9092")
    assert cart["JWT_SECRET"] == settings.jwt_secret
    assert cart["ORDER_ID_SECRET"] == settings.order_id_secret
    assert "STRIPE_API_KEY" not in cart
    payment = service_env("payment", 20002, ENDPOINTS, settings)
    assert payment["DATABASE_URL"].endswith("/x_payment")
    assert payment["STRIPE_API_BASE"] == ENDPOINTS["STRIPE_API_BASE"]
    assert payment["STRIPE_WEBHOOK_SECRET"] == settings.stripe_webhook_secret
    assert "ORDER_ID_SECRET" not in payment  # each is given only what its Settings declare


def test_the_stack_runs_every_service_then_the_gateway(tmp_path: Path):
    settings = AppSettings(gateway_port=free_port())
    processes = application_processes(tmp_path, ENDPOINTS, settings)
    names = [app.spec.name for app in processes]
    assert names == [*SERVICES, "gateway"]
    assert {app.stage for app in processes[:-1]} == {0} and processes[-1].stage == 1
    ports = {app.spec.env["HTTP_PORT"] for app in processes[:-1] if app.spec.env}
    assert len(ports) == len(processes) - 1  # one free port each


def test_a_stack_of_some_services_answers_503_on_the_paths_of_the_others(tmp_path: Path):
    settings = AppSettings(gateway_port=free_port(), services=("order", "cart"))
    processes = application_processes(tmp_path, ENDPOINTS, settings)
    assert [app.spec.name for app in processes] == ["cart", "order", "gateway"]  # in start order
    conf = (tmp_path / "gateway" / "nginx.conf").read_text()
    for service in ROUTED_SERVICES:
        assert (f"The {service} service is not running" in conf) == (service not in ("cart", "order"))


def test_without_nginx_and_without_root_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(system, "find_command", lambda command: None)
    monkeypatch.setattr(system, "can_apt_install", lambda: False)
    with pytest.raises(MissingDependencyError, match=r"apt-get install nginx"):
        system.ensure_nginx()


def test_the_template_refuses_what_it_cannot_route(tmp_path: Path):
    with pytest.raises(ValueError, match="fulfillment"):
        render(local_config(tmp_path, host=LOOPBACK, port=8080, upstreams={"fulfillment": "127.0.0.1:1"}))
    assert set(compose_config().upstreams) == set(ROUTED_SERVICES)
    assert set(ROUTED_SERVICES) < set(SERVICES)


@pytest.mark.parametrize(("rate", "per_second"), [("5r/s", 5.0), ("30r/m", 0.5), ("1r/s", 1.0)])
def test_a_rate_limit_reads_its_rate_as_nginx_does(rate: str, per_second: float):
    assert RateLimit(zone="z", key="$k", rate=rate, burst=1).per_second == per_second
