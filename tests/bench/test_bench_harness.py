"""`make bench`'s harness end to end, at tiny load for a few seconds: from no running stack it starts
one (as `make start` does), drives the whole checkout and the hot product through the gateway, writes
the results and the chart, and stops the stack it started. No timing is asserted: only that the
harness measures real completed checkouts without errors (the ramp's and a small open-loop run's) and
reports what the issue asks for, the per-checkout counts from the servers included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.hops import HOPS
from devstack.state import read_state

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("matplotlib", reason="the bench extras: pip install -e '.[bench]' (make bench does)")
pytest.importorskip("psutil", reason="the bench extras: pip install -e '.[bench]' (make bench does)")

REQUIRED = {"checkouts_per_second", "p99_http_ms", "p99_capture_to_complete_ms", "errors", "machine"}
PER_CHECKOUT = (
    "sql_round_trips_per_checkout",
    "commits_per_checkout",
    "kafka_messages_per_checkout",
    "kafka_requests_per_checkout",
    "events_appended_per_checkout",
    "stack_cpu_ms_per_checkout",
)
"""Counted by the servers over the sustained step; a checkout needs some of each."""


@pytest.mark.slow
def test_bench_starts_a_stack_measures_a_small_load_and_stops_it(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "STRIPE_API_BASE", "EP_URL")
    }
    env.update(
        DEVSTACK_DIR=str(tmp_path / "devstack"),  # its own stack, never a developer's running one
        GATEWAY_PORT="0",
        BENCH_STEPS="1,2",
        BENCH_STEP_SECONDS="2",
        BENCH_SECONDS="4",
        BENCH_HOT_SHOPPERS="12",
        BENCH_HOT_STOCK="5",
        BENCH_RATE="2",
        BENCH_OPEN_SECONDS="3",
        BENCH_OUTPUT_DIR=str(tmp_path / "out"),
    )
    run = subprocess.run(
        [sys.executable, "-m", "bench"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert REQUIRED <= results.keys()
    assert results["errors"] == 0, results["error_kinds"]
    assert results["completed"] > 0
    assert results["checkouts_per_second"] > 0
    assert [s["concurrency"] for s in results["steps"]] == [1, 2]
    assert {"cpu_model", "cores", "ram_gb", "python"} <= results["machine"].keys()
    for key in PER_CHECKOUT:
        assert isinstance(results[key], int | float) and results[key] > 0, (key, results[key])
    for step in results["steps"]:
        assert all(step[key] is None or step[key] >= 0 for key in PER_CHECKOUT), step
    by_api = results["kafka_requests_by_api_per_checkout"]
    assert by_api["Fetch"] > 0 and by_api["Produce"] > 0, by_api  # consumers fetch, relays produce
    assert results["kafka_requests_per_checkout"] == pytest.approx(sum(by_api.values()), abs=0.2)
    assert "Kafka requests by API" in run.stdout
    assert isinstance(results["durable"], bool)
    settings = results["postgres_settings"]
    assert {"fsync", "synchronous_commit"} <= settings.keys()
    assert results["durable"] == (
        settings["fsync"] == "on"
        and settings["synchronous_commit"] != "off"
        and settings["full_page_writes"] == "on"
    )
    assert "GET /v2/orders/{id}" not in results["endpoints_ms"], "complete is read from Kafka, not polled"
    open_loop = results["open_loop"]
    assert (open_loop["rate"], open_loop["scheduled"], open_loop["errors"]) == (2, 6, 0)
    assert open_loop["completed"] == 6
    assert 0 < open_loop["p50_http_ms"] <= open_loop["p99_http_ms"]
    assert open_loop["p99_capture_to_complete_ms"] >= 0
    assert {"POST /v2/carts/{ref}/checkout", "PUT /v2/orders/{id}"} <= open_loop["endpoints_ms"].keys()
    hops = open_loop["hops_ms"]
    assert len(hops) == len(HOPS), f"every hop between services was read from Kafka: {sorted(hops)}"
    assert all(1 <= hop["count"] <= 6 and 0 <= hop["p50"] <= hop["p99"] for hop in hops.values()), hops
    assert "hop between services" in run.stdout
    assert {"cart", "order", "payment", "inventory", "fulfillment"} <= results["processes"].keys()
    assert all(p["rss_mb_max"] > 0 for name, p in results["processes"].items() if name != "rest of machine")
    hot = results["hot_product"]
    assert (hot["paid"], hot["refused_with_stock_error"]) == (5, 7)
    assert hot["stock_after"] == {"total": 5, "allocated": 5, "available": 0}
    busy = [s["machine_busy_percent"] for s in results["steps"]] + [open_loop["machine_busy_percent"]]
    assert all(0 < b <= 100 for b in busy), busy
    assert results["machine_busy_percent"] == results["steps"][-1]["machine_busy_percent"]
    assert "machine busy %" in run.stdout
    assert (tmp_path / "out" / "results.png").stat().st_size > 10_000
    assert "checkouts/s" in run.stdout
    assert "per completed checkout, counted by the servers" in run.stdout
    assert "open loop:" in run.stdout

    state = read_state(tmp_path / "devstack")
    assert state is None or not any(r.is_alive() for r in state.records()), "the bench left its stack running"
