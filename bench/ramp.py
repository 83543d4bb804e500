"""The sustained scenario: virtual shoppers, each with its own stocked product, run whole checkouts in a
loop; the number of active shoppers rises step by step without draining in between."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from uuid import uuid4

import aiohttp

from bench.api import Api, UnexpectedResponse
from bench.profiler import Profiler
from bench.progress import ProgressBar
from bench.settings import BenchSettings
from bench.workflow import (
    StillWaiting,
    Tokens,
    create_stocked_product,
    stock_total,
    wait_until_sellable,
    whole_checkout,
)

STOCK_PER_SHOPPER = 1_000_000
METHODS = ("purchase", "authorize")
"""Shoppers alternate: manual `purchase`, and `authorize` followed by the admin's capture."""


@dataclass(frozen=True)
class StepWindow:
    concurrency: int
    start: float
    end: float


@dataclass
class Shopper:
    index: int
    tokens: Tokens
    product_id: str
    stock: int = STOCK_PER_SHOPPER
    iteration: int = 0


async def prepare_shoppers(api: Api, settings: BenchSettings, admin: str, count: int) -> list[Shopper]:
    """One implicit token and one stocked product per virtual shopper, sellable before the clock starts."""

    async def one(index: int) -> Shopper:
        shopper_token = await api.token(settings.client_id)
        product_id = await create_stocked_product(api, admin, f"bench-{uuid4().hex[:10]}", STOCK_PER_SHOPPER)
        await wait_until_sellable(api, shopper_token, product_id, settings.complete_timeout)
        return Shopper(index, Tokens(admin, shopper_token), product_id)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def _shop(
    api: Api, settings: BenchSettings, shopper: Shopper, active: asyncio.Event, stop: asyncio.Event
) -> None:
    recorder = api.recorder
    while not stop.is_set():
        if not active.is_set():
            await asyncio.wait(
                [asyncio.ensure_future(active.wait()), asyncio.ensure_future(stop.wait())],
                return_when=asyncio.FIRST_COMPLETED,
            )
            continue
        method = METHODS[shopper.iteration % len(METHODS)]
        shopper.iteration += 1
        try:
            done = await whole_checkout(
                api, shopper.tokens, shopper.product_id, shopper.stock, method, settings.complete_timeout
            )
        except (
            UnexpectedResponse,
            StillWaiting,
            aiohttp.ClientError,
            TimeoutError,
            LookupError,
            ValueError,
        ) as exc:
            recorder.failed(f"{type(exc).__name__}: {exc}")
            try:  # resynchronise with the real stock before the next checkout
                shopper.stock = await stock_total(api, shopper.tokens.admin, shopper.product_id)
            except (UnexpectedResponse, aiohttp.ClientError, TimeoutError):
                await asyncio.sleep(1.0)
            continue
        shopper.stock -= 1
        recorder.completed(done.checkout_to_complete_ms, done.capture_to_complete_ms, done.method)


async def run_ramp(
    api: Api, settings: BenchSettings, shoppers: list[Shopper], profiler: Profiler | None = None
) -> list[StepWindow]:
    """Run every step (profiling the last one if asked); return each step's window (recorder's clock)."""
    recorder = api.recorder
    stop = asyncio.Event()
    switches = [asyncio.Event() for _ in shoppers]
    tasks = [asyncio.create_task(_shop(api, settings, s, switches[s.index], stop)) for s in shoppers]
    bar = ProgressBar(sum(settings.step_duration(i) for i in range(len(settings.steps))))
    windows: list[StepWindow] = []
    ramp_started = recorder.now()
    try:
        for index, concurrency in enumerate(settings.steps):
            recorder.step = index
            for switch in switches[:concurrency]:
                switch.set()
            start = recorder.now()
            end = start + settings.step_duration(index)
            if profiler is not None and index == len(settings.steps) - 1:
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
                await asyncio.sleep(0.5)
            windows.append(StepWindow(concurrency, start, recorder.now()))
    finally:
        bar.done()
        recorder.step = len(settings.steps)  # draining: what finishes now belongs to no step
        stop.set()
        await asyncio.gather(*tasks)
    return windows
