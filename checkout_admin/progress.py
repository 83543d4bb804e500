"""A small progress line for long operations: count, rate in events per second, elapsed time."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int | None = None) -> None:
        self.label = label
        self.total = total
        self.started = time.perf_counter()
        self.count = 0
        self._last_draw = 0.0

    def update(self, count: int) -> None:
        self.count = count
        now = time.perf_counter()
        if now - self._last_draw >= 0.1:
            self._draw(now)

    def _draw(self, now: float) -> None:
        self._last_draw = now
        elapsed = max(now - self.started, 1e-9)
        rate = self.count / elapsed
        if self.total:
            width = 30
            done = min(width, int(width * self.count / self.total))
            bar = "#" * done + "-" * (width - done)
            line = f"{self.label} [{bar}] {self.count}/{self.total} {rate:,.0f} ev/s {elapsed:.1f}s"
        else:
            line = f"{self.label} {self.count} events {rate:,.0f} ev/s {elapsed:.1f}s"
        sys.stderr.write("\r" + line)
        sys.stderr.flush()

    def finish(self) -> float:
        now = time.perf_counter()
        self._draw(now)
        sys.stderr.write("\n")
        return now - self.started
