"""`python -m bench.floors` (`make bench-floors`): the CPU one operation costs, measured alone.

A checkout is made of HTTP requests, SQL round trips and Kafka requests; this measures what one of
each costs in CPU time, client and server, on the stack's own servers (the running stack, or one
started for the run as `make bench` does): from `time.process_time()` for this process and `/proc/<pid>/stat`
for the server, never from wall-clock samples. (A sampling profiler such as py-spy on a saturated
machine puts a process's samples where it was preempted, which is after a write that woke the process
on the other end: it made sending look like three quarters of every service's CPU, while `/proc`
says the services spend about 92 % of theirs in user space.)

- **HTTP**: a request the inventory service answers before any I/O, sent to it directly (not
  through the gateway), one at a time over a kept-alive connection: a route that needs a token,
  asked without one (uvicorn, FastAPI's routing and dependencies, the platform's middlewares, the
  bearer check, EP's error document, the access line). Beside it, a bare ASGI app and a one-route
  FastAPI app on the same uvicorn (uvloop, httptools), started here: what the layers cost.
- **Kafka produce**: one record per request, acks=all and idempotent (as the outbox relay sends),
  then 50 records a request.
- **Kafka fetch**: a fetch that brings one record, with 3 partitions assigned (one topic) and with 24
  (eight topics): a fetch lists every assigned partition, and aiokafka encodes and decodes each in
  Python. Then records fetched in bulk, per record. Then the single produce and fetches again with
  the compiled codecs every service installs (`shared.messaging.kafka_codecs`).
- **SQL**: `SELECT 1` over asyncpg, this process's CPU and the backend's.

The broker's CPU includes what the stack's idle consumers ask of it meanwhile (a few requests a
second). Results: a table, and `floors.json` in `BENCH_OUTPUT_DIR` (default `bench/`);
`BENCH_FLOOR_ROUNDS` operations of each kind (2,000).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp
import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from bench.machine import machine
from bench.proc_table import parse_stat
from bench.settings import BENCH_DIR
from bench.stack import stack_for_bench
from devstack.ports import LOOPBACK, free_port
from devstack.state import StackState
from shared.messaging.admin import ensure_topics
from shared.messaging.kafka_codecs import install_kafka_codecs
from shared.messaging.kafka_security import KafkaCredentials

PAYLOAD = b"x" * 800
"""About the size of a checkout's envelopes."""
QUIET_TOPICS = 7
"""Topics beside the one with records, for the fetch with 24 partitions assigned."""
BULK_BATCH = 50
COMPILED = ", compiled codecs"
"""The label of the produce and fetch floors measured again with the services' compiled codecs."""
"""Records a request in the bulk produce."""
SERVICE_PROBE = ("/v2/inventories/bench-floor", 401)
"""A route of the inventory service that needs a token, asked without one: routing, dependency
solving, the bearer check failing before any I/O, EP's error document, the access line."""
REFERENCE_APPS = {
    "bare ASGI app": (
        "/anything",
        404,
        """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b'{"errors":[{"status":404,"title":"Not Found"}]}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": body})
""",
    ),
    "one-route FastAPI app": (
        "/items/bench-floor",
        200,
        """
from fastapi import FastAPI
app = FastAPI()
@app.get("/items/{item}")
async def item(item: str) -> dict:
    return {"item": item}
""",
    ),
}
"""What each reference app is asked (path, expected status), and its source."""
SERVE = """
import sys, uvicorn
exec(sys.argv[1])
uvicorn.run(app, host=sys.argv[2], port=int(sys.argv[3]), loop="uvloop", http="httptools",
            access_log=False, log_level="warning")
"""


@dataclass(frozen=True)
class Floor:
    """What one operation cost, in microseconds of CPU (`server_us`: None when not measured)."""

    operation: str
    client_us: float
    server_us: float | None
    server: str


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of `pid`, from `/proc` (ticks: 10 ms; measure a second or more)."""
    proc = parse_stat(pid, Path(f"/proc/{pid}/stat").read_text())
    if proc is None:
        raise RuntimeError(f"/proc/{pid}/stat could not be read")
    return proc.cpu_seconds


async def measure(
    operation: str,
    rounds: int,
    step: Callable[[], Awaitable[object]],
    *,
    server: str,
    pid: int | None,
    per_round: int = 1,
) -> Floor:
    """`step()` run `rounds` times: the CPU of this process and of `pid`, per operation (`per_round`
    of them a step)."""
    operations = rounds * per_round
    client, served = time.process_time(), None if pid is None else process_cpu_seconds(pid)
    for _ in range(rounds):
        await step()
    client_us = round((time.process_time() - client) * 1e6 / operations, 1)
    if pid is None or served is None:
        return Floor(operation, client_us, None, server)
    return Floor(
        operation, client_us, round((process_cpu_seconds(pid) - served) * 1e6 / operations, 1), server
    )


async def http_floor(
    url: str, expected: int, pid: int | None, rounds: int, *, operation: str, server: str
) -> Floor:
    """GET `url` one request at a time over one kept-alive connection; each must answer `expected`
    (another answer would measure another path through the app)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:

        async def get() -> None:
            async with session.get(url) as response:
                await response.read()
                if response.status != expected:
                    raise RuntimeError(f"GET {url}: {response.status}, expected {expected}")

        await get()  # the connection, and the first request's imports
        return await measure(operation, rounds, get, server=server, pid=pid)


@contextmanager
def reference_app(source: str) -> Iterator[tuple[str, int]]:
    """Serve an ASGI app defined by `source` on uvicorn in a process of its own: its URL and pid."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVE, source, LOOPBACK, str(port)])
    try:
        url = f"http://{LOOPBACK}:{port}"
        deadline = time.monotonic() + 30
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the reference app did not listen on {url}")
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def _listening(port: int) -> bool:
    try:
        socket.create_connection((LOOPBACK, port), timeout=1).close()
    except OSError:
        return False
    return True


async def http_floors(service_url: str, service_pid: int | None, rounds: int) -> list[Floor]:
    path, status = SERVICE_PROBE
    floors = [
        await http_floor(
            service_url + path,
            status,
            service_pid,
            rounds,
            operation=f"HTTP request, GET {path} without a token ({status}), the inventory service",
            server="inventory",
        )
    ]
    for name, (path, status, source) in REFERENCE_APPS.items():
        with reference_app(source) as (url, pid):
            operation = f"HTTP request, GET {path} ({status}), {name}"
            floors.append(await http_floor(url + path, status, pid, rounds, operation=operation, server=name))
    return floors


async def kafka_floors(
    bootstrap: str, credentials: KafkaCredentials, rounds: int, *, broker_pid: int | None
) -> list[Floor]:
    """Produce `rounds` records one a request (then in fifties), and fetch them back one a fetch."""
    options = credentials.client_options()
    base = f"bench-floors-{uuid4().hex[:8]}"
    busy, bulk, quiet = base, f"{base}-bulk", [f"{base}-quiet-{i}" for i in range(QUIET_TOPICS)]
    topics = [busy, bulk, *quiet]
    await ensure_topics(bootstrap, topics)
    try:
        floors = await _produce_floors(busy, bulk, bootstrap, options, rounds, broker_pid)
        # `busy` holds `rounds + 1` records produced one a request, one record batch each; a fetch
        # limited to one byte a partition still brings one batch, so each fetch brings one record.
        floors.append(await _fetch_floor([busy], bootstrap, options, rounds, broker_pid, "3 partitions"))
        floors.append(
            await _fetch_floor([busy, *quiet], bootstrap, options, rounds, broker_pid, "24 partitions")
        )
        floors.append(await _bulk_fetch_floor(bulk, _bulk_records(rounds), bootstrap, options, broker_pid))
        # Again with the compiled codecs every service installs (shared.messaging.kafka_codecs); from
        # here on this process has them.
        install_kafka_codecs()
        floors += await _produce_floors(busy, bulk, bootstrap, options, rounds, broker_pid, COMPILED)
        for assigned, label in (([busy], "3 partitions"), ([busy, *quiet], "24 partitions")):
            floors.append(
                await _fetch_floor(assigned, bootstrap, options, rounds, broker_pid, label, COMPILED)
            )
        return floors
    finally:
        await _delete_topics(bootstrap, options, topics)


def _bulk_records(rounds: int) -> int:
    return BULK_BATCH * max(rounds // BULK_BATCH, 1)


async def _produce_floors(
    busy: str,
    bulk: str,
    bootstrap: str,
    options: Mapping[str, Any],
    rounds: int,
    broker_pid: int | None,
    suffix: str = "",
) -> list[Floor]:
    """One record a request to `busy` (`rounds` and one to warm up), then fifty a request to `bulk`."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=0, **options
    )
    await producer.start()
    try:
        await producer.send_and_wait(busy, PAYLOAD, key=b"floor")

        async def one() -> None:
            await producer.send_and_wait(busy, PAYLOAD, key=b"floor")

        single = await measure(
            f"Kafka produce, 1 record{suffix}", rounds, one, server="kafka", pid=broker_pid
        )

        async def fifty() -> None:
            await asyncio.gather(
                *[await producer.send(bulk, PAYLOAD, key=b"floor") for _ in range(BULK_BATCH)]
            )

        batches = _bulk_records(rounds) // BULK_BATCH
        bulk_floor = await measure(
            f"Kafka produce, {BULK_BATCH} records (per record){suffix}",
            batches,
            fifty,
            server="kafka",
            pid=broker_pid,
            per_round=BULK_BATCH,
        )
        return [single, bulk_floor]
    finally:
        await producer.stop()


async def _fetch_floor(
    topics: list[str],
    bootstrap: str,
    options: Mapping[str, Any],
    rounds: int,
    broker_pid: int | None,
    label: str,
    suffix: str = "",
) -> Floor:
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=1,
        enable_auto_commit=False,
        **options,
    )
    await consumer.start()
    try:
        await _take(consumer, 1)  # the assignment, and the warm-up record

        async def fetch_one() -> None:
            await _take(consumer, 1)

        return await measure(
            f"Kafka fetch of 1 record, {label} assigned{suffix}",
            rounds,
            fetch_one,
            server="kafka",
            pid=broker_pid,
        )
    finally:
        await consumer.stop()


async def _bulk_fetch_floor(
    topic: str, count: int, bootstrap: str, options: Mapping[str, Any], broker_pid: int | None
) -> Floor:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False, **options
    )
    await consumer.start()
    try:

        async def take_all() -> None:
            await _take(consumer, count)

        return await measure(
            "Kafka fetch in bulk (per record)", 1, take_all, server="kafka", pid=broker_pid, per_round=count
        )
    finally:
        await consumer.stop()


async def _take(consumer: AIOKafkaConsumer, count: int) -> None:
    """Records until `count` came, one poll after another (each returns as soon as a fetch brings one)."""
    got = 0
    while got < count:
        fetched = await consumer.getmany(timeout_ms=10_000, max_records=count - got)
        if not fetched:
            raise RuntimeError(f"no record within 10 s ({got} of {count})")
        got += sum(len(records) for records in fetched.values())


async def _delete_topics(bootstrap: str, options: Mapping[str, Any], topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options)
    await admin.start()
    try:
        await admin.delete_topics(topics)
    finally:
        await admin.close()


async def sql_floor(dsn: str, rounds: int) -> Floor:
    """`SELECT 1` over one asyncpg connection; the backend's CPU from its pid."""
    conn = await asyncpg.connect(dsn)
    try:
        backend = await conn.fetchval("SELECT pg_backend_pid()")

        async def select_one() -> None:
            await conn.fetchval("SELECT 1")

        return await measure("SQL round trip (SELECT 1)", rounds, select_one, server="postgres", pid=backend)
    finally:
        await conn.close()


async def all_floors(
    *,
    service_url: str,
    service_pid: int | None,
    bootstrap: str,
    credentials: KafkaCredentials,
    broker_pid: int | None,
    dsn: str,
    rounds: int,
) -> list[Floor]:
    """Every floor: HTTP against the inventory service at `service_url`, then Kafka, then SQL."""
    floors = await http_floors(service_url, service_pid, rounds)
    floors += await kafka_floors(bootstrap, credentials, rounds, broker_pid=broker_pid)
    floors.append(await sql_floor(dsn, rounds))
    return floors


async def stack_floors(state: StackState, rounds: int) -> list[Floor]:
    pids = {record.name: record.pid for record in [*state.apps, *state.servers]}
    return await all_floors(
        service_url=state.urls["inventory"],
        service_pid=pids.get("inventory"),
        bootstrap=state.env["KAFKA_BOOTSTRAP_SERVERS"],
        credentials=KafkaCredentials.from_environment(state.env),
        broker_pid=pids.get("kafka"),
        dsn=state.env["DATABASE_URL"],
        rounds=rounds,
    )


def table(floors: list[Floor]) -> str:
    width = max(len(f.operation) for f in floors)
    lines = [f"{'operation':<{width}}  {'client µs':>10}  {'server µs':>10}  server"]
    for f in floors:
        served = "—" if f.server_us is None else f"{f.server_us:.0f}"
        lines.append(f"{f.operation:<{width}}  {f.client_us:>10.0f}  {served:>10}  {f.server}")
    return "\n".join(lines)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    # A new topic's first send is retried once its leader is known: aiokafka warns about it.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    rounds = int(os.environ.get("BENCH_FLOOR_ROUNDS") or 2000)
    output = Path(os.environ.get("BENCH_OUTPUT_DIR") or BENCH_DIR)
    about = machine()
    with stack_for_bench() as state:
        floors = asyncio.run(stack_floors(state, rounds))
    print(table(floors))
    output.mkdir(parents=True, exist_ok=True)
    document = {"machine": about, "rounds": rounds, "floors": [asdict(f) for f in floors]}
    (output / "floors.json").write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwritten: {output / 'floors.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
