"""Kafka from an empty jar cache (a real Maven fetch) and from a warm one; prints the timings.

Set DEVSTACK_COLD_MAVEN=1 to also bypass ~/.m2 (Maven then downloads every jar from Maven Central).
The measured durations are written to .devstack/kafka-timings.json for docs/devstack.md.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from devstack.kafka import KafkaCluster, KafkaTimings
from devstack.kafka_dist import ensure_kafka_libs
from devstack.state import devstack_home
from shared.messaging.kafka_security import kafka_client_options


def _report(case: str, timings: KafkaTimings) -> None:
    numbers = {
        "fetch_seconds": round(timings.fetch_seconds, 2),
        "downloaded": timings.downloaded,
        "format_seconds": round(timings.format_seconds, 2),
        "start_to_ready_seconds": round(timings.ready_seconds, 2),
        "total_seconds": round(timings.total_seconds, 2),
    }
    print(f"\nkafka {case}: {numbers}")
    path = devstack_home() / "kafka-timings.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.loads(path.read_text()) if path.exists() else {}
        data[case] = numbers
        path.write_text(json.dumps(data, indent=2) + "\n")
    except (OSError, ValueError):
        pass  # the timings are a convenience, not the test


async def _start_and_produce(work: Path, cache: Path | None) -> KafkaCluster:
    cluster = KafkaCluster(work, cache_dir=cache)
    await cluster.start()
    try:
        producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap_servers, **kafka_client_options())
        await producer.start()
        try:
            await producer.send_and_wait("devstack-cache", b"ok")
        finally:
            await producer.stop()
    except BaseException:
        cluster.stop()
        raise
    return cluster


@pytest.mark.slow
async def test_kafka_from_an_empty_cache(tmp_path: Path):
    cache = tmp_path / "kafka-cache"
    cold_repo = tmp_path / "m2" if os.environ.get("DEVSTACK_COLD_MAVEN") == "1" else None
    libs = await asyncio.to_thread(ensure_kafka_libs, cache, maven_repo_local=cold_repo)
    assert libs.downloaded
    assert (cache / "libs" / "kafka_2.13-4.1.1.jar").is_file()
    assert (cache / "libs.complete").is_file()
    cluster = await _start_and_produce(tmp_path / "kafka", cache)
    cluster.stop()
    assert cluster.timings is not None
    _report(
        "empty_cache" + ("_cold_maven" if cold_repo else ""),
        KafkaTimings(libs.seconds, True, cluster.timings.format_seconds, cluster.timings.ready_seconds),
    )


@pytest.mark.slow
async def test_kafka_from_a_warm_cache(tmp_path: Path):
    await asyncio.to_thread(ensure_kafka_libs)  # warm the default cache, if this machine never did
    cluster = await _start_and_produce(tmp_path / "kafka", None)
    cluster.stop()
    assert cluster.timings is not None
    assert not cluster.timings.downloaded
    _report("warm_cache", cluster.timings)


def test_half_download_is_redone(tmp_path: Path):
    """Jars without the completion marker (an interrupted fetch) do not count as a cache."""
    cache = tmp_path / "kafka-cache"
    (cache / "libs").mkdir(parents=True)
    (cache / "libs" / "kafka_2.13-4.1.1.jar").write_bytes(b"truncated")
    libs = ensure_kafka_libs(cache)
    assert libs.downloaded
    assert (cache / "libs" / "kafka_2.13-4.1.1.jar").stat().st_size > 1_000_000
