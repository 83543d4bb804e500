"""What a benchmark run does, from the environment, so `make bench` needs no arguments."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.settings import DEV_CLIENT_ID, DEV_CLIENT_SECRET

BENCH_DIR = Path(__file__).resolve().parent


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    return int(raw) if raw else default


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    return float(raw) if raw else default


def _profile_mode(raw: str) -> str:
    """BENCH_PROFILE: "" or "0" (none), "1" or "wall" (py-spy), "cpu" (yappi in each service)."""
    mode = raw.strip().lower()
    if mode in ("", "0"):
        return ""
    if mode in ("1", "wall"):
        return "wall"
    if mode == "cpu":
        return "cpu"
    raise ValueError(f"BENCH_PROFILE must be 1, wall or cpu, not {raw!r}")


@dataclass(frozen=True)
class BenchSettings:
    """The ramp, the hot-product scenario and where the results go."""

    steps: tuple[int, ...] = (4, 8, 16, 32)
    """Concurrent virtual shoppers of each step; the last one is the sustained step."""
    step_seconds: float = 10.0
    """How long each warm-up step of the ramp lasts."""
    sustain_seconds: float = 60.0
    """How long the top step lasts (the issue's 60 s sustained)."""
    hot_shoppers: int = 200
    hot_stock: int = 50
    client_id: str = DEV_CLIENT_ID
    client_secret: str = DEV_CLIENT_SECRET
    output_dir: Path = BENCH_DIR
    profile: str = ""
    """BENCH_PROFILE=1 (or ``wall``): py-spy flame graphs of every service during the sustained step (wall
    clock); BENCH_PROFILE=cpu: a CPU-clock profile of every service (``bench.cpu_profiler``)."""
    statements: bool = False
    """BENCH_STATEMENTS=1: each SQL statement's calls per checkout of the sustained step, most frequent
    first, into results.json and statements.txt (where the round trips go)."""
    request_timeout: float = 30.0
    complete_timeout: float = 30.0
    """How long an order may take to become complete (or a product's stock, once its checkouts are over,
    to read as shipped) before it is an error."""
    open_rate: float = 50.0
    """Checkouts started per second by the open-loop run, whatever the stack's answers (0: no run)."""
    open_seconds: float = 30.0
    """How long the open-loop run starts checkouts."""
    open_products: int = 0
    """Stocked products the open-loop checkouts take turns on (0: two seconds' worth of checkouts,
    so a product is rarely in two checkouts at once)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> BenchSettings:
        """``BENCH_STEPS`` (e.g. ``4,8,16,32``), ``BENCH_STEP_SECONDS``, ``BENCH_SECONDS`` (the top step),
        ``BENCH_HOT_SHOPPERS``, ``BENCH_HOT_STOCK``, ``BENCH_RATE`` and ``BENCH_OPEN_SECONDS`` (the open-loop
        run), ``BENCH_OPEN_PRODUCTS``, ``BENCH_OUTPUT_DIR``, ``BENCH_PROFILE``, ``BENCH_STATEMENTS``,
        ``CLIENT_ID``, ``CLIENT_SECRET``."""
        env = os.environ if environ is None else environ
        defaults = cls()
        raw_steps = env.get("BENCH_STEPS")
        steps = tuple(int(s) for s in raw_steps.split(",") if s.strip()) if raw_steps else defaults.steps
        if not steps or min(steps) < 1:
            raise ValueError(f"BENCH_STEPS must list positive concurrencies, not {raw_steps!r}")
        output = env.get("BENCH_OUTPUT_DIR")
        return cls(
            steps=steps,
            step_seconds=_float(env, "BENCH_STEP_SECONDS", defaults.step_seconds),
            sustain_seconds=_float(env, "BENCH_SECONDS", defaults.sustain_seconds),
            hot_shoppers=_int(env, "BENCH_HOT_SHOPPERS", defaults.hot_shoppers),
            hot_stock=_int(env, "BENCH_HOT_STOCK", defaults.hot_stock),
            open_rate=_float(env, "BENCH_RATE", defaults.open_rate),
            open_seconds=_float(env, "BENCH_OPEN_SECONDS", defaults.open_seconds),
            open_products=_int(env, "BENCH_OPEN_PRODUCTS", defaults.open_products),
            client_id=env.get("CLIENT_ID") or DEV_CLIENT_ID,
            client_secret=env.get("CLIENT_SECRET") or DEV_CLIENT_SECRET,
            output_dir=Path(output) if output else BENCH_DIR,
            profile=_profile_mode(env.get("BENCH_PROFILE", "")),
            statements=env.get("BENCH_STATEMENTS", "") not in ("", "0"),
        )

    def step_duration(self, index: int) -> float:
        """The top step is sustained for BENCH_SECONDS; the others are warm-up steps."""
        return self.sustain_seconds if index == len(self.steps) - 1 else self.step_seconds

    def active_in(self, index: int) -> int:
        """Shoppers running in step ``index``: a shopper, once started, runs until the ramp ends."""
        return max(self.steps[: index + 1])

    @property
    def open_loop_checkouts(self) -> int:
        return int(self.open_rate * self.open_seconds) if self.open_rate > 0 else 0

    @property
    def open_loop_product_count(self) -> int:
        if self.open_products > 0:
            return self.open_products
        return max(1, min(self.open_loop_checkouts, math.ceil(self.open_rate * 2)))

    @property
    def draining_phase(self) -> int:
        """The recorder's step while the ramp's last checkouts finish: part of no step."""
        return len(self.steps)

    @property
    def open_loop_phase(self) -> int:
        return len(self.steps) + 1

    @property
    def hot_phase(self) -> int:
        return len(self.steps) + 2
