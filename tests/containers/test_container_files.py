"""containers/: the host-network compose file and the image inputs agree with the code they run,
checked without an engine (the engine-backed suite is test_*_in_containers.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from checkout_platform.testing.platform import DATABASES, SEALING, CheckoutPlatform
from devstack.apps import PRIVACY_DATABASE, SERVICES
from devstack.kafka_dist import _pom
from gateway.config import ROUTED_SERVICES
from shared.privacy.master_keys import MasterKeys
from tests.support.personal_data_services import PRIVACY_VARIABLES, seals_personal_data

REPO = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "containers" / "compose.yml").read_text())
CONTAINERS: dict[str, Any] = COMPOSE["services"]


def test_the_kafka_image_fetches_the_jars_devstack_uses():
    assert (REPO / "containers" / "kafka" / "pom.xml").read_text() == _pom()


def test_every_container_is_on_the_host_network_and_publishes_nothing():
    for name, spec in CONTAINERS.items():
        assert spec.get("network_mode") == "host", name
        assert "ports" not in spec, name
        build = spec.get("build")
        if build:
            assert build.get("network") == "host", f"{name}: RUN steps need the host network too"
            assert (REPO / "containers" / build["context"] / build["dockerfile"]).is_file(), name


def test_each_service_listens_on_its_own_loopback_port_and_the_gateway_routes_there():
    ports = {service: CONTAINERS[service]["environment"]["HTTP_PORT"] for service in SERVICES}
    assert len(set(ports.values())) == len(ports), f"two services on one port: {ports}"
    gateway = CONTAINERS["gateway"]["environment"]
    env = {**os.environ, **{key: str(value) for key, value in gateway.items() if key != "GATEWAY_PORT"}}
    rendered = subprocess.run(
        [sys.executable, str(REPO / "containers" / "gateway_host_conf.py")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for service in ROUTED_SERVICES:
        assert gateway[f"{service.upper()}_PORT"] == ports[service]
        assert f"server 127.0.0.1:{ports[service]}" in rendered, service
    assert "listen 127.0.0.1:8080" in rendered
    for service in SERVICES:
        assert CONTAINERS[service]["environment"]["HTTP_HOST"] == "127.0.0.1"


def test_the_services_that_seal_personal_data_get_the_master_key_and_the_privacy_database():
    sealing = {service for service in SERVICES if seals_personal_data(service)}
    assert sealing >= {"cart", "order"}  # the checkout seals, the order service opens and erases
    init_mounts = [m for m in CONTAINERS["postgres"]["volumes"] if "/docker-entrypoint-initdb.d/" in m]
    (mount,) = init_mounts
    script = (REPO / "containers" / mount.split(":")[0]).read_text()
    assert f'CREATE DATABASE "{PRIVACY_DATABASE}"' in script
    for service in SERVICES:
        env = CONTAINERS[service]["environment"]
        if service not in sealing:
            assert not set(PRIVACY_VARIABLES) & set(env), service
            continue
        assert re.fullmatch(r"\$\{PII_MASTER_KEY:\?[^}]+\}", env["PII_MASTER_KEY"]), service  # required
        database = env["DATABASE_URL"].rsplit("/", 1)[0]
        assert env["PII_KEYS_DATABASE_URL"] == f"{database}/{PRIVACY_DATABASE}", service


def test_checkout_platform_gives_the_sealing_services_a_fresh_master_key_and_the_privacy_database():
    assert set(SEALING) == {service for service in SERVICES if seals_personal_data(service)}
    assert PRIVACY_DATABASE in DATABASES  # created with the services' databases at start
    platform, other = CheckoutPlatform(), CheckoutPlatform()
    for service in SERVICES:
        env = platform._environment(service)
        if service not in SEALING:
            assert not set(PRIVACY_VARIABLES) & set(env), service
            continue
        assert MasterKeys.parse(env["PII_MASTER_KEY"]).current_id == "k1"
        assert env["PII_MASTER_KEY"] != other._environment(service)["PII_MASTER_KEY"]  # per platform
        assert env["PII_KEYS_DATABASE_URL"] == env["DATABASE_URL"].rsplit("/", 1)[0] + f"/{PRIVACY_DATABASE}"
    keys = {platform._environment(service)["PII_MASTER_KEY"] for service in SEALING}
    assert len(keys) == 1  # one master key for the platform: what the cart seals, the order opens
