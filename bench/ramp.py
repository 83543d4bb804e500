"""The sustained scenario: virtual shoppers run whole checkouts in a loop; the number of active
shoppers rises step by step without draining in between.

Each shopper has a stocked product of its own *per step*: when a step ends, its products see no new
checkout, so once their last ones are over each reads exactly ``initial - shipped`` and is verified
then (while the next step runs), with one stock read per product instead of polls per checkout.
The servers' counters are read at every step's edges, so each step reports what a checkout cost.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import aiohttp

from bench.api import Api, UnexpectedResponse
from bench.completions import CompletionWatcher, NotCompleted
from bench.costs import CostMeter, CostSnapshot, per_checkout
from bench.cpu_profiler import CpuProfiler
from bench.profiler import Profiler
from bench.progress import ProgressBar
from bench.settings import BenchSettings
from bench.stock_ledger import Ledger, stocked_product, verify
from bench.workflow import Callers, StillWaiting, whole_checkout

STOCK_PER_PRODUCT = 1_000_000
METHODS = ("purchase", "authorize")
"""Checkouts alternate: the shopper's manual `authorize` followed by the admin's capture, and the
admin's manual `purchase` (a transfer received outside the platform: only an admin may record it)."""
PAUSE_AFTER_ERROR_S = 0.5
"""A shopper whose checkout failed waits this long: a stack that refuses fast is not hammered."""
CHECKOUT_ERRORS = (
    UnexpectedResponse,
    StillWaiting,
    NotCompleted,
    aiohttp.ClientError,
    TimeoutError,
    LookupError,
    ValueError,
)


@dataclass(frozen=True)
class StepWindow:
    concurrency: int
    start: float
    end: float
    costs: dict[str, Any] = field(default_factory=dict)
    """What the servers counted over the window, per checkout completed in it (:mod:`bench.costs`)."""


@dataclass
class Shopper:
    index: int
    callers: Callers
    ledgers: dict[int, Ledger]
    """The shopper's product in each step it runs in, by step index."""
    iteration: int = 0


async def prepare_shoppers(api: Api, settings: BenchSettings, admin: str) -> list[Shopper]:
    """One implicit token per virtual shopper, and a sellable stocked product for each step it runs in,
    all made before the clock starts."""
    gate = asyncio.Semaphore(16)
    admin_storefront = api.storefront(admin)

    async def product(callers: Callers) -> Ledger:
        async with gate:
            return await stocked_product(
                callers.admin,
                callers.shopper,
                f"bench-{uuid4().hex[:10]}",
                STOCK_PER_PRODUCT,
                settings.complete_timeout,
            )

    async def one(index: int) -> Shopper:
        callers = Callers(admin_storefront, api.storefront(await api.token(settings.client_id)))
        steps = [k for k in range(len(settings.steps)) if index < settings.active_in(k)]
        ledgers = await asyncio.gather(*(product(callers) for _ in steps))
        return Shopper(index, callers, dict(zip(steps, ledgers, strict=True)))

    return list(await asyncio.gather(*(one(i) for i in range(max(settings.steps)))))


async def _shop(
    api: Api,
    settings: BenchSettings,
    completions: CompletionWatcher,
    shopper: Shopper,
    active: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    recorder = api.recorder
    while not stop.is_set():
        if not active.is_set():
            waits = [asyncio.ensure_future(active.wait()), asyncio.ensure_future(stop.wait())]
            _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for waiting in pending:
                waiting.cancel()
            continue
        ledger = shopper.ledgers.get(recorder.step)
        if ledger is None:  # between the ramp's end and the stop: nothing to buy any more
            await asyncio.sleep(0.05)
            continue
        method = METHODS[shopper.iteration % len(METHODS)]
        shopper.iteration += 1
        ledger.begin()
        shipped = False
        try:
            done = await whole_checkout(
                shopper.callers, ledger.product_id, method, completions, settings.complete_timeout
            )
            shipped = True
        except CHECKOUT_ERRORS as exc:
            recorder.failed(f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(PAUSE_AFTER_ERROR_S)
            continue
        finally:
            ledger.end(shipped=shipped)
        recorder.completed(
            done.checkout_to_complete_ms, done.capture_to_complete_ms, done.method, done.start_to_complete_ms
        )


async def run_ramp(
    api: Api,
    settings: BenchSettings,
    shoppers: list[Shopper],
    completions: CompletionWatcher,
    meter: CostMeter,
    profiler: Profiler | CpuProfiler | None = None,
) -> list[StepWindow]:
    """Run every step (profiling the last one if asked), verify every step's stock; return each step's
    window (recorder's clock) with what its checkouts cost."""
    recorder = api.recorder
    admin = shoppers[0].callers.admin.transport.token
    stop = asyncio.Event()
    switches = [asyncio.Event() for _ in shoppers]
    tasks = [
        asyncio.create_task(_shop(api, settings, completions, s, switches[s.index], stop)) for s in shoppers
    ]
    bar = ProgressBar(sum(settings.step_duration(i) for i in range(len(settings.steps))))
    windows: list[StepWindow] = []
    verifications: list[asyncio.Task[int]] = []
    ramp_started = recorder.now()
    last = len(settings.steps) - 1
    try:
        before: CostSnapshot = await meter.snapshot()
        start = recorder.now()
        for index, concurrency in enumerate(settings.steps):
            recorder.step = index
            for switch in switches[:concurrency]:
                switch.set()
            end = start + settings.step_duration(index)
            if profiler is not None and index == last:
                await profiler.start(settings.step_duration(index))
            while recorder.now() < end:
                done = sum(1 for c in recorder.completions if c.at >= start)
                elapsed_step = max(recorder.now() - start, 0.001)
                bar.show(
                    recorder.now() - ramp_started,
                    f"step {index + 1}/{len(settings.steps)}: {concurrency} shoppers,"
                    f" {done / elapsed_step:6.1f} checkouts/s, {len(recorder.completions)} done,"
                    f" {len(recorder.failures)} errors",
                )
                await asyncio.sleep(min(0.5, max(0.0, end - recorder.now())))
            ended = recorder.now()
            if index == last:
                recorder.step = settings.draining_phase  # what finishes now belongs to no step
                stop.set()
            else:
                recorder.step = index + 1  # new checkouts take the next step's products from now on
            after = await meter.snapshot()
            completed = sum(1 for c in recorder.completions if start <= c.at < ended)
            windows.append(StepWindow(concurrency, start, ended, per_checkout(before, after, completed)))
            ledgers = [s.ledgers[index] for s in shoppers if index in s.ledgers]
            verifications.append(
                asyncio.create_task(verify(api, admin, ledgers, settings.complete_timeout, recorder, index))
            )
            before, start = after, ended
    finally:
        bar.done()
        recorder.step = settings.draining_phase
        stop.set()
        await asyncio.gather(*tasks)
        await asyncio.gather(*verifications)
    return windows
