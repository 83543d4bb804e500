"""A one-line progress bar on stderr, redrawn in place (plain lines when stderr is not a terminal)."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    def __init__(self, total_seconds: float, width: int = 30) -> None:
        self.total = max(total_seconds, 0.001)
        self.width = width
        self.tty = sys.stderr.isatty()
        self._last_plain = 0.0

    def show(self, elapsed: float, label: str) -> None:
        fraction = min(1.0, elapsed / self.total)
        filled = int(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"[{bar}] {fraction * 100:3.0f}% {elapsed:5.0f}/{self.total:.0f} s  {label}"
        if self.tty:
            sys.stderr.write("\r" + line.ljust(110)[:160])
            sys.stderr.flush()
        elif time.monotonic() - self._last_plain >= 5:  # a log file gets a line every 5 s, not a flood
            self._last_plain = time.monotonic()
            print(line, file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()
