"""`checkout-admin` against a stack started as `make start` starts it, with nothing exported (issue 21,
point 3): every command finds the stack through its state file; a wrong address ends the command
with one line naming the variable and a non-zero exit; `make env` prints only `export` lines and
`status` each service's URL.

The stack is `python -m devstack start` in a folder of its own (`DEVSTACK_DIR`, which checkout-admin
reads too), with its own PostgreSQL and localstripe, all five services and the gateway; only Kafka is
the session's (under a topic prefix of its own, which the state file records).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from checkout_admin.registry import SERVICES as ADMIN_SERVICES
from devstack.apps import SERVICES
from devstack.ports import free_port
from shared.messaging.kafka_security import kafka_client_options
from tests.support.commands import REPO, environment_without, run_module

CHECKOUT_ADMIN = Path(sys.executable).parent / "checkout-admin"
"""The console script the project installs into the virtualenv (on PATH once it is activated)."""
CLEARED = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "TOPIC_PREFIX", "STRIPE_API_BASE", "STRIPE_API_KEY")
NOBODY_DATABASE = "postgresql://nobody@127.0.0.1:1/postgres"
NOBODY_KAFKA = "127.0.0.1:1"


@dataclass(frozen=True)
class StartedStack:
    home: Path
    env: dict[str, str]
    """What the state file records: the stack's endpoints."""
    urls: dict[str, str]
    order_id: str


def _without_endpoints() -> dict[str, str]:
    return environment_without(*CLEARED)


def _devstack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_module("devstack", *args, env=env)


def _an_order(gateway: str) -> str:
    """The id of an order the demo made (the newest one)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": "checkout-admin",
        "client_secret": "checkout-admin-secret",
    }
    with httpx.Client(base_url=gateway, timeout=30) as client:
        token = client.post("/oauth/access_token", data=form).raise_for_status().json()["access_token"]
        orders = client.get("/v2/orders", headers={"Authorization": f"Bearer {token}"}).raise_for_status()
    found = orders.json()["data"]
    assert found, orders.text
    return str(found[0]["id"])


@pytest.fixture(scope="module")
def started(kafka_bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartedStack]:
    home = tmp_path_factory.mktemp("admin-stack") / "home"
    env = _without_endpoints() | {
        "DEVSTACK_DIR": str(home),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "TOPIC_PREFIX": f"adm{uuid4().hex[:8]}.",
        "GATEWAY_PORT": str(free_port()),
    }
    try:
        start = _devstack(env, "start")
        assert start.returncode == 0, start.stderr
        state = json.loads((home / "state.json").read_text())
        demo = run_module("demo", env=_without_endpoints() | {"EP_URL": state["env"]["EP_URL"]})
        assert demo.returncode == 0, demo.stdout + demo.stderr
        yield StartedStack(home, state["env"], state["urls"], _an_order(state["env"]["EP_URL"]))
    finally:
        stopped = _devstack(env, "stop")
        assert stopped.returncode == 0, stopped.stderr


def admin(stack: StartedStack, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `checkout-admin` as an operator would after `make start`: from another
    folder, with no endpoint exported (only `variables`, to point one at a wrong address)."""
    return subprocess.run(
        [str(CHECKOUT_ADMIN), *args],
        env=_without_endpoints() | {"DEVSTACK_DIR": str(stack.home)} | variables,
        cwd=stack.home,
        capture_output=True,
        text=True,
        timeout=180,
    )


def succeeds(stack: StartedStack, *args: str) -> str:
    result = admin(stack, *args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def behind(status: str) -> dict[str, int]:
    """`projections status`'s rows: service/projection -> events behind."""
    rows = [line.split() for line in status.splitlines()[1:] if line.strip()]
    return {f"{row[0]}/{row[1]}": int(row[-1]) for row in rows}


def every_projection() -> set[str]:
    """service/projection of every projection of every service the stack runs."""
    found = set()
    for name in SERVICES:
        runtime = ADMIN_SERVICES[name].build("postgresql://unused/unused", "unused:9092", "")
        found |= {f"{name}/{projection.name}" for projection in runtime.projection_definitions}
    return found


def test_projections_list_status_and_rebuild_find_the_stack(started: StartedStack) -> None:
    listed = succeeds(started, "projections", "list")
    assert "order" in listed and "orders" in listed, listed
    # The demo's last wait saw inventory consume OrderShipped; the order service consumes it too and
    # appends OrderFulfilled, which `orders` folds: idle means that happened too.
    deadline = time.monotonic() + 60
    while "OrderFulfilled" not in succeeds(started, "streams", "show", started.order_id).split():
        assert time.monotonic() < deadline, "the order service never recorded the shipment"
        time.sleep(0.5)
    # An idle stack is not behind: only the event types a projection folds count (point 4).
    deadline = time.monotonic() + 60
    status = behind(succeeds(started, "projections", "status"))
    while any(status.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
        status = behind(succeeds(started, "projections", "status"))
    assert set(status) == every_projection(), status
    assert not any(status.values()), status
    planned = json.loads(
        succeeds(started, "projections", "rebuild", "order", "orders", "--dry-run", "--json")
    )
    assert planned["events"] >= planned["events_to_fold"] >= 1, planned
    assert "would rebuild order/orders" in succeeds(
        started, "projections", "rebuild", "order", "orders", "--dry-run"
    )
    still = json.loads(succeeds(started, "projections", "status", "order", "--json"))
    assert [r["checkpoint"] for r in still if r["projection"] == "orders"] == [planned["live_checkpoint"]], (
        still
    )
    rebuilt = succeeds(started, "projections", "rebuild", "order", "orders")
    assert "rebuilt order/orders" in rebuilt and "events/s" in rebuilt, rebuilt
    assert int(rebuilt.split(": ")[1].split()[0]) >= planned["events"], (rebuilt, planned)


def test_replay_finds_the_stack_and_its_topic_prefix(started: StartedStack) -> None:
    replayed = succeeds(
        started, "replay", "CartCheckedOut", "--to", "order", "--from-offset", "0", "--dry-run"
    )
    read = int(replayed.split()[0])
    assert read >= 1 and "would apply 0" in replayed, replayed
    counted = json.loads(
        succeeds(
            started, "replay", "CartCheckedOut", "--to", "order", "--from-offset", "0", "--dry-run", "--json"
        )
    )
    assert (counted["messages"], counted["already_applied"], counted["would_apply"]) == (read, read, 0), (
        counted
    )
    refused = admin(started, "replay", "CartCheckedOut", "OrderShipped", "NoSuchTopic", "--to", "order")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr, refused.stderr
    assert "order does not consume" in refused.stderr and "NoSuchTopic" in refused.stderr, refused.stderr
    assert refused.stdout == "", refused.stdout  # refused before any topic is replayed


def test_streams_show_finds_the_order(started: StartedStack) -> None:
    story = succeeds(started, "streams", "show", started.order_id)
    assert "CartCheckedOut" in story and f"order-{started.order_id[:20]}" in story, story
    assert {"cart", "order"} <= {line.split()[1] for line in story.splitlines() if "  " in line}, story


async def _poison(stack: StartedStack, key: str) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.env["KAFKA_BOOTSTRAP_SERVERS"], acks="all", **kafka_client_options()
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            f"{stack.env['TOPIC_PREFIX']}OrderUpdated", b"{not json", key=key.encode()
        )
    finally:
        await producer.stop()


def _letter_of(stack: StartedStack, key: str) -> str:
    """The ref of the pending dead letter with `key`, once the fulfilment consumer has sent it there."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in succeeds(stack, "dlq", "list").splitlines():
            ref = line.split()[0]
            if "OrderUpdated" in line and f"key: {key}" in succeeds(stack, "dlq", "show", ref):
                return ref
        time.sleep(0.5)
    raise AssertionError(f"no dead letter with key {key}")


async def test_dlq_list_show_retry_and_discard_find_the_stack(started: StartedStack) -> None:
    kept, dropped = f"retried-{uuid4().hex[:8]}", f"dropped-{uuid4().hex[:8]}"
    await _poison(started, kept)
    await _poison(started, dropped)
    retried_ref, dropped_ref = _letter_of(started, kept), _letter_of(started, dropped)
    shown = succeeds(started, "dlq", "show", retried_ref)
    assert "dlq.consumer: fulfillment" in shown and "dlq.reason: undecodable" in shown, shown
    assert f"retry {retried_ref}" in succeeds(started, "dlq", "retry", retried_ref)
    assert f"discard {dropped_ref}" in succeeds(started, "dlq", "discard", dropped_ref)
    pending = [line.split()[0] for line in succeeds(started, "dlq", "list").splitlines()]
    assert retried_ref not in pending and dropped_ref not in pending, pending


DATABASE_COMMANDS = [
    ("projections", "list"),
    ("projections", "status"),
    ("projections", "rebuild", "order", "orders"),
    ("replay", "CartCheckedOut", "--to", "order", "--from-offset", "0"),
    ("streams", "show", "any-order"),
]
KAFKA_COMMANDS = [
    ("dlq", "list"),
    ("dlq", "show", "0:0"),
    ("dlq", "retry", "0:0"),
    ("dlq", "discard", "0:0"),
    ("replay", "CartCheckedOut", "--to", "order", "--from-offset", "0"),
]


def _fails_naming(result: subprocess.CompletedProcess[str], variable: str, address: str) -> None:
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("checkout-admin: cannot reach") and address in lines[0], lines
    assert f"{variable} is set in the environment" in lines[0], lines
    assert "0 events" not in result.stdout and "unreachable" not in result.stdout, result.stdout


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_a_wrong_database_address_is_named_and_fails(started: StartedStack, command: tuple[str, ...]) -> None:
    """The other variable, Kafka, still comes from the state file."""
    _fails_naming(admin(started, *command, DATABASE_URL=NOBODY_DATABASE), "DATABASE_URL", "127.0.0.1:1")


@pytest.mark.parametrize("command", KAFKA_COMMANDS, ids=" ".join)
def test_a_wrong_kafka_address_is_named_and_fails(started: StartedStack, command: tuple[str, ...]) -> None:
    _fails_naming(
        admin(started, *command, KAFKA_BOOTSTRAP_SERVERS=NOBODY_KAFKA),
        "KAFKA_BOOTSTRAP_SERVERS",
        NOBODY_KAFKA,
    )


def test_with_no_stack_and_no_variables_the_error_says_what_to_set(tmp_path: Path) -> None:
    nowhere = StartedStack(tmp_path, {}, {}, "")
    for command, variable in (
        (("dlq", "list"), "KAFKA_BOOTSTRAP_SERVERS"),
        (("projections", "status"), "DATABASE_URL"),
    ):
        result = admin(nowhere, *command)
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
        assert (
            f"{variable} is not set and no local stack runs (no {tmp_path / 'state.json'})" in result.stderr
        )
        assert "make start" in result.stderr


def test_make_env_prints_only_exports_that_eval_to_the_stack(started: StartedStack) -> None:
    env = _without_endpoints() | {"DEVSTACK_DIR": str(started.home)}
    printed = subprocess.run(["make", "env"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert lines and all(line.startswith("export ") for line in lines), printed.stdout
    evaluated = subprocess.run(
        ["bash", "-c", 'eval "$(make env)" && echo "$DATABASE_URL|$KAFKA_BOOTSTRAP_SERVERS|$TOPIC_PREFIX"'],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    recorded = started.env
    assert evaluated.stdout.strip() == "|".join(
        (recorded["DATABASE_URL"], recorded["KAFKA_BOOTSTRAP_SERVERS"], recorded["TOPIC_PREFIX"])
    ), evaluated.stderr
    assert shlex.quote(recorded["EP_URL"]) in printed.stdout


def test_status_lists_each_services_url(started: StartedStack) -> None:
    status = _devstack(_without_endpoints() | {"DEVSTACK_DIR": str(started.home)}, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert set(started.urls) == {*SERVICES, "gateway"}, started.urls
    for name in SERVICES:
        line = next(line for line in status.stdout.splitlines() if line.startswith(f"{name} "))
        assert started.urls[name] in line, line
        ready = httpx.get(f"{started.urls[name]}/ready", timeout=10)
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "kafka": "ok"}
        assert httpx.get(f"{started.urls[name]}/metrics", timeout=10).status_code == 200
    assert "GET /metrics" in status.stdout and "GET /ready" in status.stdout
