"""Samples the stack while the load runs: processes once a second (one /proc pass), the services'
counters and the consumer lag every two seconds (each scrape costs the services and the broker CPU
that the benchmark would otherwise charge to the checkouts)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from bench.consumer_lag import LagSample, LagSampler
from bench.processes import ProcessSample, ProcessSampler
from bench.recorder import Recorder
from bench.service_metrics import MetricsSample, MetricsSampler
from devstack.state import StackState

log = logging.getLogger("bench")
LAG_EVERY = 2  # seconds: the admin API costs the broker a few requests per group
METRICS_EVERY = 2  # seconds: each service renders its whole /metrics page


@dataclass
class Series:
    processes: list[ProcessSample] = field(default_factory=list)
    metrics: list[MetricsSample] = field(default_factory=list)
    lag: list[LagSample] = field(default_factory=list)


class Monitor:
    def __init__(self, state: StackState, urls: dict[str, str], recorder: Recorder) -> None:
        self.recorder = recorder
        self.series = Series()
        self._processes = ProcessSampler(state)
        self._metrics = MetricsSampler(urls)
        bootstrap = state.env.get("KAFKA_BOOTSTRAP_SERVERS")
        self._lag = LagSampler(bootstrap) if bootstrap else None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._lag is not None:
            try:
                await self._lag.start()
            except Exception as exc:  # the rest of the benchmark is still worth running
                log.warning("consumer lag unavailable: %s", exc)
                self._lag = None
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._metrics.aclose()
        if self._lag is not None:
            await self._lag.aclose()

    async def _run(self) -> None:
        tick = 0
        while True:
            at = self.recorder.now()
            sample = self._processes.sample(at)
            if sample is not None:
                self.series.processes.append(sample)
            if tick % METRICS_EVERY == 0:
                metrics = await self._metrics.sample(at)
                if metrics is not None:
                    self.series.metrics.append(metrics)
            if self._lag is not None and tick % LAG_EVERY == 0:
                try:
                    self.series.lag.append(await self._lag.sample(at))
                except Exception as exc:
                    log.debug("consumer lag sample failed: %s", exc)
            tick += 1
            await asyncio.sleep(max(0.0, 1.0 - (self.recorder.now() - at)))
