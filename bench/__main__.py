"""`python -m bench` (`make bench`): the ramp, then the hot product; prints a table, writes
bench/results.json and bench/results.png. Settings: see :class:`bench.settings.BenchSettings`."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from typing import Any

from bench.api import Api
from bench.chart import draw
from bench.hot_product import run_hot_product
from bench.machine import machine
from bench.monitor import Monitor
from bench.profiler import Profiler
from bench.ramp import StepWindow, prepare_shoppers, run_ramp
from bench.recorder import Recorder
from bench.report import build_results, table
from bench.service_metrics import service_urls
from bench.settings import BenchSettings
from bench.stack import stack_for_bench
from devstack.state import StackState

log = logging.getLogger("bench")


async def run(settings: BenchSettings, state: StackState) -> dict[str, Any]:
    recorder = Recorder()
    about = machine()
    top = max(settings.steps)
    api = Api(state.env["EP_URL"], recorder, connections=top * 2 + 20, timeout=settings.request_timeout)
    urls = service_urls(state)
    monitor = Monitor(state, urls, recorder)
    windows: list[StepWindow] = []
    hot: dict[str, Any] | None = None
    try:
        admin = await api.token(settings.client_id, settings.client_secret)
        log.info("preparing %d virtual shoppers (a stocked product each)…", top)
        shoppers = await prepare_shoppers(api, settings, admin, top)
        recorder.latencies.clear()  # setup calls are not the workload
        await monitor.start()
        log.info(
            "ramp %s shoppers; the last step lasts %.0f s (BENCH_SECONDS)",
            settings.steps,
            settings.sustain_seconds,
        )
        profiler = None
        if settings.profile:
            pids = {r.name: r.pid for r in state.apps if r.name in urls}
            profiler = Profiler(pids, settings.output_dir / "profiles")
        windows = await run_ramp(api, settings, shoppers, profiler)
        if profiler is not None:
            await profiler.wait()
        if settings.hot_shoppers > 0:
            log.info("hot product: %d shoppers for %d units…", settings.hot_shoppers, settings.hot_stock)
            recorder.step = len(settings.steps) + 1
            hot = await run_hot_product(api, settings, admin)
    finally:
        await monitor.stop()
        await api.aclose()
    results = build_results(recorder, windows, monitor.series, hot, about, list(urls))
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    (settings.output_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    draw(settings.output_dir / "results.png", recorder, windows, monitor.series, results)
    return results


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the metrics scraper's lines would drown the table
    settings = BenchSettings.from_environ()
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
