"""The open-loop run: checkouts start on a fixed schedule (``BENCH_RATE`` a second), whatever the stack
answers, so its latencies are those of a shop at that rate, not of a queue the closed loop builds.

In the closed-loop ramp a slow answer delays the shopper's next checkout, so the load drops exactly
when the stack is slow and the slow moments are under-sampled (coordinated omission), and at
saturation the latencies are mostly queueing. Here each checkout is due at ``start + i / rate`` and its
first request's latency counts from then, however late the load generator got to send it.

The checkouts take turns on a pool of stocked products (two seconds' worth, so one product is rarely
in two checkouts at once); each product's stock is verified once at the end, as the ramp's are.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from bench.api import Api
from bench.completions import CompletionWatcher
from bench.costs import CostMeter, per_checkout
from bench.progress import ProgressBar
from bench.ramp import CHECKOUT_ERRORS, METHODS, STOCK_PER_PRODUCT
from bench.settings import BenchSettings
from bench.stock_ledger import Ledger, stocked_product, verify
from bench.workflow import Callers, whole_checkout


@dataclass(frozen=True)
class Customer:
    callers: Callers
    ledger: Ledger


@dataclass
class OpenLoopWindow:
    """What the report needs of the run besides the recorder's latencies and completions."""

    rate: float
    seconds: float
    scheduled: int
    products: int
    start: float
    end: float
    """Recorder's clock: from the first due checkout until the last one ended."""
    start_lag_ms: list[float] = field(default_factory=list)
    """How late the load generator started each checkout (already inside its latencies)."""
    costs: dict[str, Any] = field(default_factory=dict)
    hops_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    """Each hop between services, from the Kafka records' times (`bench/hops.py`)."""


async def prepare_customers(api: Api, settings: BenchSettings, admin: str) -> list[Customer]:
    """The pool of products (and a shopper token each), sellable before the clock starts."""
    gate = asyncio.Semaphore(16)
    stock = max(STOCK_PER_PRODUCT, settings.open_loop_checkouts)
    admin_storefront = api.storefront(admin)

    async def one() -> Customer:
        async with gate:
            callers = Callers(admin_storefront, api.storefront(await api.token(settings.client_id)))
            ledger = await stocked_product(
                callers.admin, callers.shopper, f"open-{uuid4().hex[:10]}", stock, settings.complete_timeout
            )
        return Customer(callers, ledger)

    return list(await asyncio.gather(*(one() for _ in range(settings.open_loop_product_count))))


async def run_open_loop(
    api: Api,
    settings: BenchSettings,
    customers: list[Customer],
    completions: CompletionWatcher,
    meter: CostMeter,
) -> OpenLoopWindow:
    recorder = api.recorder
    recorder.step = settings.open_loop_phase
    count = settings.open_loop_checkouts
    window = OpenLoopWindow(settings.open_rate, settings.open_seconds, count, len(customers), 0.0, 0.0)

    async def checkout(index: int, due: float) -> None:
        customer = customers[index % len(customers)]
        customer.ledger.begin()
        shipped = False
        try:
            done = await whole_checkout(
                customer.callers,
                customer.ledger.product_id,
                METHODS[index % len(METHODS)],
                completions,
                settings.complete_timeout,
                scheduled=due,
            )
            shipped = True
        except CHECKOUT_ERRORS as exc:
            recorder.failed(f"{type(exc).__name__}: {exc}")
            return
        finally:
            customer.ledger.end(shipped=shipped)
        recorder.completed(
            done.checkout_to_complete_ms, done.capture_to_complete_ms, done.method, done.start_to_complete_ms
        )

    before = await meter.snapshot()
    bar = ProgressBar(settings.open_seconds)
    tasks: list[asyncio.Task[None]] = []
    first = time.perf_counter() + 0.01
    window.start = recorder.now() + 0.01
    try:
        for index in range(count):
            due = first + index / settings.open_rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            window.start_lag_ms.append(max(0.0, time.perf_counter() - due) * 1000)
            tasks.append(asyncio.create_task(checkout(index, due)))
            if index % max(1, int(settings.open_rate / 2)) == 0:
                bar.show(
                    time.perf_counter() - first,
                    f"open loop at {settings.open_rate:g}/s: {index + 1} started,"
                    f" {sum(1 for t in tasks if t.done())} over, {len(recorder.failures)} errors",
                )
    finally:
        bar.done()
        await asyncio.gather(*tasks)
    window.end = recorder.now()
    after = await meter.snapshot()
    completed = sum(1 for c in recorder.completions if c.step == settings.open_loop_phase)
    window.costs = per_checkout(before, after, completed)
    await verify(
        api,
        customers[0].callers.admin.transport.token if customers else "",
        [c.ledger for c in customers],
        settings.complete_timeout,
        recorder,
        settings.open_loop_phase,
    )
    return window
