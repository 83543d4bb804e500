"""`python -m bench` (`make bench`): the ramp, the open-loop run, then the hot product; prints a table,
writes bench/results.json and bench/results.png. Settings: see :class:`bench.settings.BenchSettings`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from bench.api import Api
from bench.chart import draw
from bench.completions import CompletionWatcher
from bench.costs import CostMeter
from bench.cpu_profiler import CpuProfiler
from bench.hops import hop_latencies, hop_summaries, read_stamps
from bench.hot_product import run_hot_product
from bench.kafka_offsets import KafkaOffsets
from bench.machine import machine
from bench.monitor import Monitor
from bench.open_loop import prepare_customers, run_open_loop
from bench.pg_counters import PgCounters
from bench.profiler import Profiler
from bench.ramp import StepWindow, prepare_shoppers, run_ramp
from bench.recorder import Recorder
from bench.report import build_results, open_loop_results, statements_text, table
from bench.service_env import service_databases, service_urls, topic_prefix
from bench.service_metrics import MetricsSampler
from bench.settings import BenchSettings
from bench.stack import stack_for_bench
from devstack.state import StackState
from shared.cpu_profile import PROFILE_DIR_VARIABLE

log = logging.getLogger("bench")


def cost_meter(state: StackState, urls: dict[str, str], *, by_statement: bool = False) -> CostMeter:
    """The servers' own counters for the per-checkout costs (PostgreSQL, Kafka, the services')."""
    database = state.env.get("DATABASE_URL")
    bootstrap = state.env.get("KAFKA_BOOTSTRAP_SERVERS")
    return CostMeter(
        PgCounters(database, service_databases(state), by_statement=by_statement) if database else None,
        KafkaOffsets(bootstrap, topic_prefix(state)) if bootstrap else None,
        MetricsSampler(urls),
    )


async def run(settings: BenchSettings, state: StackState) -> dict[str, Any]:
    recorder = Recorder()
    about = machine()
    top = max(settings.steps)
    connections = max(top * 2, int(settings.open_rate * 4)) + 20
    api = Api(state.env["EP_URL"], recorder, connections=connections, timeout=settings.request_timeout)
    urls = service_urls(state)
    monitor = Monitor(state, urls, recorder)
    meter = cost_meter(state, urls, by_statement=settings.statements)
    completions = CompletionWatcher(state.env["KAFKA_BOOTSTRAP_SERVERS"], topic_prefix(state))
    windows: list[StepWindow] = []
    hot: dict[str, Any] | None = None
    open_loop: dict[str, Any] | None = None
    try:
        await meter.start()
        await completions.start()
        admin = await api.token(settings.client_id, settings.client_secret)
        log.info("preparing %d virtual shoppers (a stocked product each per step)…", top)
        shoppers = await prepare_shoppers(api, settings, admin)
        customers = []
        if settings.open_loop_checkouts > 0:
            log.info("preparing %d stocked products for the open loop…", settings.open_loop_product_count)
            customers = await prepare_customers(api, settings, admin)
        recorder.latencies.clear()  # setup calls are not the workload
        await monitor.start()
        log.info(
            "ramp %s shoppers; the last step lasts %.0f s (BENCH_SECONDS)",
            settings.steps,
            settings.sustain_seconds,
        )
        profiler: Profiler | CpuProfiler | None = None
        if settings.profile:
            pids = {r.name: r.pid for r in state.apps if r.name in urls}
            kind = CpuProfiler if settings.profile == "cpu" else Profiler
            profiler = kind(pids, settings.output_dir / "profiles")
        windows = await run_ramp(api, settings, shoppers, completions, meter, profiler)
        if profiler is not None:
            await profiler.wait()
        if customers:
            log.info(
                "open loop: %g checkouts/s for %g s (BENCH_RATE, BENCH_OPEN_SECONDS)…",
                settings.open_rate,
                settings.open_seconds,
            )
            began = datetime.now(UTC)
            window = await run_open_loop(api, settings, customers, completions, meter)
            stamps = await read_stamps(state.env["KAFKA_BOOTSTRAP_SERVERS"], topic_prefix(state), began)
            window.hops_ms = hop_summaries(hop_latencies(stamps))
            open_loop = open_loop_results(recorder, monitor.series, window, settings.open_loop_phase)
        if settings.hot_shoppers > 0:
            log.info("hot product: %d shoppers for %d units…", settings.hot_shoppers, settings.hot_stock)
            recorder.step = settings.hot_phase
            hot = await run_hot_product(api, settings, admin, completions)
    finally:
        await monitor.stop()
        await completions.aclose()
        await meter.aclose()
        await api.aclose()
    results = build_results(
        recorder,
        windows,
        monitor.series,
        hot,
        about,
        list(urls),
        open_loop=open_loop,
        postgres_settings=meter.postgres_settings,
        durable=meter.durable,
    )
    if windows and "statements" in windows[-1].costs:
        results["statements_per_checkout"] = windows[-1].costs["statements"]
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    (settings.output_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    if "statements_per_checkout" in results:
        (settings.output_dir / "statements.txt").write_text(statements_text(results))
    draw(settings.output_dir / "results.png", recorder, windows, monitor.series, results)
    return results


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the metrics scraper's lines would drown the table
    logging.getLogger("aiokafka").setLevel(logging.WARNING)  # the watchers' metadata news, likewise
    settings = BenchSettings.from_environ()
    if settings.profile == "cpu":  # a stack started for this run profiles itself on the bench's signal
        os.environ.setdefault(PROFILE_DIR_VARIABLE, str((settings.output_dir / "profiles").resolve()))
    try:
        with stack_for_bench() as state:
            results = asyncio.run(run(settings, state))
    except subprocess.CalledProcessError as exc:
        log.error(
            "python -m devstack %s failed (exit %d); see its messages above", exc.cmd[-1], exc.returncode
        )
        return 1
    print(table(results))
    print(f"\nwritten: {settings.output_dir / 'results.json'}, {settings.output_dir / 'results.png'}")
    return 0 if results["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
