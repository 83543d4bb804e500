"""docker-compose.yml and the Dockerfile cannot run here (no Docker engine): keep them honest instead.

Every service, module, variable, port and file they name must exist in the repository and its code,
and the gateway config compose mounts must be what gateway/config.py generates.
"""

from __future__ import annotations

import base64
import importlib.util
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from devstack import localstripe_server
from devstack.apps import PRIVACY_DATABASE, SERVICES
from gateway.config import COMPOSE_CONF, COMPOSE_SERVICE_PORT, ROUTED_SERVICES, compose_config, render
from services import settings_class
from shared.messaging.kafka_security import BROKER, CLIENT_PRINCIPALS
from tests.support.personal_data_services import PRIVACY_VARIABLES, seals_personal_data

REPO = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
CONTAINERS: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (REPO / "Dockerfile").read_text()
PLATFORM = {
    name: spec
    for name, spec in CONTAINERS.items()
    if (spec.get("build") or {}).get("target") == "service" and "SERVICE" in spec.get("environment", {})
}
NOT_SETTINGS = {"SERVICE"}  # the Dockerfile's selector: `python -m services.${SERVICE}`
# `$${VAR}` is compose's escape for a literal `${VAR}` (expanded by the container's shell): not compose's.
_INTERPOLATION = re.compile(r"(?<!\$)\$\{(\w+)(?::?-([^}]*)|:\?([^}]*))?\}")
REQUIRED_SECRETS = {
    "JWT_SECRET",
    "CLIENT_SECRET",
    "ORDER_ID_SECRET",
    "STRIPE_WEBHOOK_SECRET",
    "POSTGRES_PASSWORD",
    "PII_MASTER_KEY",
    *(f"KAFKA_{name.upper()}_PASSWORD" for name in (*CLIENT_PRINCIPALS, BROKER)),
}


def resolved(value: object) -> str:
    """A compose value with ``${VAR:-default}`` replaced by its default (what a bare `up` uses), and
    a required ``${SECRET:?message}`` by a stand-in for the value the operator must set."""
    return _INTERPOLATION.sub(
        lambda m: f"operator-set-{m.group(1).lower()}" if m.group(3) is not None else m.group(2) or "",
        str(value),
    )


def environment(container: str) -> dict[str, str]:
    return {key: resolved(value) for key, value in CONTAINERS[container].get("environment", {}).items()}


def stages() -> set[str]:
    return set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", DOCKERFILE, flags=re.MULTILINE | re.IGNORECASE))


def test_every_variable_has_a_default_except_the_secrets_which_are_required():
    text = (REPO / "docker-compose.yml").read_text()
    bare = [m.group(0) for m in _INTERPOLATION.finditer(text) if m.group(2) is None and m.group(3) is None]
    assert not bare, f"interpolations without a default: {bare}"
    required = {m.group(1) for m in _INTERPOLATION.finditer(text) if m.group(3) is not None}
    assert required == REQUIRED_SECRETS


def test_every_platform_service_runs_from_the_dockerfile():
    assert set(PLATFORM) == set(SERVICES)
    assert {"service", "localstripe"} <= stages()
    assert re.search(r'CMD \["sh", "-c", "exec python -m \\"services\.\$\{SERVICE\}\\""\]', DOCKERFILE)
    for name, spec in CONTAINERS.items():
        build = spec.get("build")
        if build:
            assert (REPO / build["context"] / build.get("dockerfile", "Dockerfile")).is_file(), name
            if build.get("dockerfile", "Dockerfile") == "Dockerfile":
                assert build["target"] in stages(), name


def test_the_dockerfile_copies_what_it_installs():
    copied = re.findall(r"^COPY\s+(.+?)\s+\S+$", DOCKERFILE, flags=re.MULTILINE)
    sources = {source.rstrip("/") for line in copied for source in line.split()}
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: not in the repository"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= sources, f"packages pyproject.toml installs but the image lacks: {packages - sources}"
    assert pyproject["project"]["readme"] in sources
    dev_pin = next(
        d for d in pyproject["project"]["optional-dependencies"]["dev"] if d.startswith("localstripe")
    )
    assert f"pip install {dev_pin}" in DOCKERFILE  # the image fakes Stripe with the version the tests use


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_gets_only_variables_its_settings_read(service: str):
    env = environment(service)
    assert env["SERVICE"] == service
    assert importlib.util.find_spec(f"services.{service}.__main__") is not None
    cls = settings_class(service)
    fields = {name.upper() for name in cls.model_fields}
    unknown = set(env) - fields - NOT_SETTINGS - set(PRIVACY_VARIABLES)  # those are shared/privacy's
    assert not unknown, f"{service}: {sorted(unknown)} are not fields of {cls.__name__}"
    settings = cls.model_validate(
        {key.lower(): value for key, value in env.items() if key not in NOT_SETTINGS}
    )
    assert settings.service_name == service
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", COMPOSE_SERVICE_PORT)
    assert f":{COMPOSE_SERVICE_PORT}/health" in str(CONTAINERS[service]["healthcheck"]["test"])


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_owns_a_database_the_init_script_creates(service: str):
    init_mounts = [m for m in CONTAINERS["postgres"]["volumes"] if "/docker-entrypoint-initdb.d/" in m]
    (mount,) = init_mounts
    script = (REPO / mount.split(":")[0]).read_text()
    created = set(re.findall(r'CREATE DATABASE "?(\w+)"?', script))
    assert created == {*SERVICES, PRIVACY_DATABASE}
    url = urlsplit(environment(service)["DATABASE_URL"])
    postgres = environment("postgres")
    assert url.hostname == "postgres" and url.port == 5432
    assert (url.username, url.password) == (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"])
    assert url.path == f"/{service}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_services_that_seal_personal_data_get_the_master_key_and_the_key_table_and_no_other(service: str):
    assert seals_personal_data("cart") and seals_personal_data("order")  # the checkout seals, orders open
    env = environment(service)
    if not seals_personal_data(service):  # the master key opens every order: only where it is needed
        assert not set(PRIVACY_VARIABLES) & set(env), service
        return
    assert env["PII_MASTER_KEY"] == "operator-set-pii_master_key"  # required: never clear by default
    keys = urlsplit(env["PII_KEYS_DATABASE_URL"])
    postgres = environment("postgres")
    assert (keys.hostname, keys.port) == ("postgres", 5432)
    assert (keys.username, keys.password) == (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"])
    assert keys.path == f"/{PRIVACY_DATABASE}"  # one key table for every service (the init script makes it)


def test_services_reach_the_secured_kafka_broker_that_compose_runs_each_as_its_own_principal():
    kafka = environment("kafka")
    assert CONTAINERS["kafka"]["build"]["dockerfile"] == "containers/kafka/Dockerfile"
    entrypoint = (REPO / "containers/kafka/entrypoint.sh").read_text()
    for variable in ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "KAFKA_LISTEN_HOST", "KAFKA_ADVERTISED_HOST"):
        assert variable in kafka and "${" + variable in entrypoint, variable
    assert len(base64.urlsafe_b64decode(kafka["CLUSTER_ID"] + "==")) == 16  # a UUID, as KRaft wants
    assert kafka["KAFKA_LISTEN_HOST"] == "0.0.0.0"  # inside a container, loopback is unreachable
    bootstrap = f"{kafka['KAFKA_ADVERTISED_HOST']}:{kafka['KAFKA_PORT']}"
    assert bootstrap == "kafka:9092"
    for principal in (*CLIENT_PRINCIPALS, BROKER):  # a SCRAM user each, made when the log is formatted
        assert kafka[f"KAFKA_{principal.upper()}_PASSWORD"] == f"operator-set-kafka_{principal}_password"
    acls = CONTAINERS["kafka-acls"]
    assert f"--bootstrap {bootstrap}" in " ".join(acls["command"])
    assert environment("kafka-acls")["KAFKA_SASL_USERNAME"] == "admin"
    for service in SERVICES:
        env = environment(service)
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == bootstrap
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        assert env["KAFKA_SASL_USERNAME"] == service
        assert env["KAFKA_SASL_PASSWORD"] == kafka[f"KAFKA_{service.upper()}_PASSWORD"]
        assert (
            CONTAINERS[service]["depends_on"]["kafka-acls"]["condition"] == "service_completed_successfully"
        )


def test_payment_reaches_localstripe_on_the_port_it_serves(capsys: pytest.CaptureFixture[str]):
    command = CONTAINERS["localstripe"]["command"]
    assert command[:3] == ["python", "-m", "devstack.localstripe_server"]
    args = dict(zip(command[3::2], command[4::2], strict=True))
    assert args["--host"] == "0.0.0.0"  # inside a container, loopback is unreachable
    with pytest.raises(SystemExit) as exited:
        localstripe_server.main(["--help"])
    assert exited.value.code == 0
    assert "--host" in capsys.readouterr().out
    payment = environment("payment")
    assert payment["STRIPE_API_BASE"] == f"http://localstripe:{args['--port']}"
    assert payment["STRIPE_API_KEY"].startswith("sk_test_")
    assert CONTAINERS["payment"]["depends_on"]["localstripe"]["condition"] == "service_healthy"


def test_the_mounted_gateway_config_is_what_the_generator_produces():
    assert COMPOSE_CONF.read_text() == render(compose_config()), "stale: run `python -m gateway`"
    gateway = CONTAINERS["gateway"]
    assert gateway["image"].startswith("nginx:")
    (mount,) = gateway["volumes"]
    source, target, *_ = mount.split(":")
    assert (REPO / source).resolve() == COMPOSE_CONF
    assert target == "/etc/nginx/nginx.conf"
    (published,) = gateway["ports"]
    assert resolved(published).rsplit(":", 1)[1] == compose_config().listen
    assert set(gateway["depends_on"]) == set(ROUTED_SERVICES)
    for service, address in compose_config().upstreams.items():
        host, port = address.split(":")
        assert host in CONTAINERS and int(port) == int(environment(service)["HTTP_PORT"])
    host_port = resolved(published).split(":")[1]
    for service in SERVICES:
        assert environment(service)["PUBLIC_BASE_URL"] == f"http://127.0.0.1:{host_port}"


def test_every_file_and_container_named_exists():
    for name, spec in CONTAINERS.items():
        for dependency in spec.get("depends_on", {}):
            assert dependency in CONTAINERS, f"{name} depends on unknown {dependency}"
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in COMPOSE.get("volumes", {}), f"{name} mounts undeclared volume {source}"
