"""containers/: the host-network compose file and the image inputs agree with the code they run,
checked without an engine (the engine-backed suite is test_*_in_containers.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from devstack.apps import SERVICES
from devstack.kafka_dist import _pom
from gateway.config import ROUTED_SERVICES

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
