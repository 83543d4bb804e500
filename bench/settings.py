"""What a benchmark run does, from the environment, so `make bench` needs no arguments."""

from __future__ import annotations

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
    profile: bool = False
    """BENCH_PROFILE=1: py-spy flame graphs of every service during the sustained step."""
    request_timeout: float = 30.0
    complete_timeout: float = 30.0
    """How long an order may take to become complete (or its stock to be deducted) before it is an error."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> BenchSettings:
        """``BENCH_STEPS`` (e.g. ``4,8,16,32``), ``BENCH_STEP_SECONDS``, ``BENCH_SECONDS`` (the top step),
        ``BENCH_HOT_SHOPPERS``, ``BENCH_HOT_STOCK``, ``BENCH_OUTPUT_DIR``, ``BENCH_PROFILE``, ``CLIENT_ID``,
        ``CLIENT_SECRET``."""
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
            client_id=env.get("CLIENT_ID") or DEV_CLIENT_ID,
            client_secret=env.get("CLIENT_SECRET") or DEV_CLIENT_SECRET,
            output_dir=Path(output) if output else BENCH_DIR,
            profile=env.get("BENCH_PROFILE", "") not in ("", "0"),
        )

    def step_duration(self, index: int) -> float:
        """The top step is sustained for BENCH_SECONDS; the others are warm-up steps."""
        return self.sustain_seconds if index == len(self.steps) - 1 else self.step_seconds
