"""Each stocked product's expected stock, verified once its checkouts are over instead of after each.

Reading the stock after every checkout until it dropped (about four polls per checkout at
saturation) made the benchmark's own bookkeeping part of the cost it measured. A product here is
used by one shopper in one step (or by the open-loop run), so the bench knows exactly how many of
its checkouts shipped (the `PUT fulfilled` answered 200). When they are all over, the product must
read ``total == initial - shipped`` and ``allocated == 0``, polled only then and only until a
deadline; whatever it cannot account for is one error per checkout. A checkout that failed (already
an error) may or may not have moved the stock: it widens what is accepted by one unit, no more.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import aiohttp

from bench.api import Api, TimedTransport, UnexpectedResponse
from bench.recorder import Recorder
from bench.workflow import create_stocked_product, wait_until_sellable
from checkout_platform.storefront.client import Storefront

ENDPOINT = "GET /v2/inventories/{id} (stock check)"
"""Its own name in the latencies: the bench's verification, not the shopper's workload."""
POLL_FIRST_S, POLL_MAX_S = 0.1, 1.0
PARALLEL = 16


@dataclass
class Ledger:
    """One product: its initial stock, the checkouts shipped from it, and those left uncertain."""

    product_id: str
    initial: int
    shipped: int = 0
    uncertain: int = 0
    """Failed checkouts (each already an error) that may have allocated or deducted a unit."""
    in_flight: int = 0
    _idle: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def __post_init__(self) -> None:
        self._idle.set()

    def begin(self) -> None:
        self.in_flight += 1
        self._idle.clear()

    def end(self, *, shipped: bool) -> None:
        """A checkout is over: shipped (the PUT answered 200), or failed somewhere."""
        if shipped:
            self.shipped += 1
        else:
            self.uncertain += 1
        self.in_flight -= 1
        if self.in_flight == 0:
            self._idle.set()

    async def idle(self) -> None:
        """Until no checkout of this product is running."""
        await self._idle.wait()

    def unaccounted(self, total: int, allocated: int) -> int:
        """How many checkouts the stock read does not match: 0 when it is as shipped."""
        deducted_beyond = (self.initial - self.shipped) - total  # units gone that no shipment explains
        missing = max(0, -deducted_beyond)  # shipped, yet the stock did not drop
        surplus = max(0, deducted_beyond) + max(0, allocated) - self.uncertain
        return missing + max(0, surplus)


async def _stock(checker: Storefront[TimedTransport], product_id: str) -> tuple[int, int]:
    data = (await checker.stock(product_id)).json()["data"]
    return int(data["total"]), int(data["allocated"])


async def verify_one(checker: Storefront[TimedTransport], ledger: Ledger, seconds: float) -> tuple[int, str]:
    """Wait for the product's checkouts to end, then poll its stock until it is as shipped or
    ``seconds`` passed; return the checkouts unaccounted for and what was read."""
    await ledger.idle()
    deadline = time.monotonic() + seconds
    pause = POLL_FIRST_S
    seen = "no answer"
    off = 1
    while True:
        try:
            total, allocated = await _stock(checker, ledger.product_id)
            off = ledger.unaccounted(total, allocated)
            seen = f"total {total}, allocated {allocated}"
            if off == 0:
                return 0, seen
        except (UnexpectedResponse, aiohttp.ClientError, TimeoutError, LookupError, ValueError) as exc:
            seen = f"{type(exc).__name__}: {exc}"
        if time.monotonic() > deadline:
            return max(off, 1), seen
        await asyncio.sleep(pause)
        pause = min(pause * 2, POLL_MAX_S)


async def verify(
    api: Api, admin: str, ledgers: Iterable[Ledger], seconds: float, recorder: Recorder, step: int
) -> int:
    """Verify every ledger (a few at a time); each checkout unaccounted for is an error of ``step``."""
    gate = asyncio.Semaphore(PARALLEL)
    checker = api.storefront(admin, endpoint=ENDPOINT)

    async def one(ledger: Ledger) -> int:
        await ledger.idle()
        async with gate:
            off, seen = await verify_one(checker, ledger, seconds)
        for _ in range(off):
            recorder.failed(
                f"stock not as shipped {seconds:.0f} s after its checkouts (an error per checkout"
                " unaccounted)\n"
                f"product {ledger.product_id} read {seen}; expected total"
                f" {ledger.initial - ledger.shipped} ({ledger.shipped} shipped of {ledger.initial},"
                f" {ledger.uncertain} failed) and 0 allocated",
                step,
            )
        return off

    return sum(await asyncio.gather(*(one(ledger) for ledger in ledgers)))


async def stocked_product(
    admin: Storefront[TimedTransport],
    shopper: Storefront[TimedTransport],
    sku: str,
    stock: int,
    seconds: float,
) -> Ledger:
    """A new stock-managed product with ``stock`` units, sellable (the cart knows its stock)."""
    product_id = await create_stocked_product(admin, sku, stock)
    await wait_until_sellable(shopper, product_id, seconds)
    return Ledger(product_id, stock)
