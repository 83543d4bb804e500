"""Everything the load generator observes, timestamped, so the report and the chart read one source."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Latency:
    """One HTTP call: which endpoint (a route template, bounded), when it ended, how long it took."""

    endpoint: str
    at: float
    ms: float
    step: int


@dataclass(frozen=True)
class Completion:
    """One checkout that ended with the order complete (its `OrderCompleted` read from Kafka) and
    shipped; its stock deduction is verified at the end of its step, per product."""

    at: float
    step: int
    checkout_to_complete_ms: float
    capture_to_complete_ms: float
    method: str
    start_to_complete_ms: float
    """From the checkout's (scheduled) start, adding to the cart included, to `complete`."""


@dataclass(frozen=True)
class Failure:
    """Something that should not have happened: an unexpected status, a timeout, a wrong state."""

    at: float
    step: int
    what: str


@dataclass
class Recorder:
    """The observations of one run; ``step`` is the phase currently running: -1 setup, then the ramp's
    steps from 0, then draining, the open-loop run and the hot product (see
    :class:`bench.settings.BenchSettings`)."""

    started: float = field(default_factory=time.monotonic)
    step: int = -1
    latencies: list[Latency] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def now(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started

    def http(self, endpoint: str, ms: float) -> None:
        self.latencies.append(Latency(endpoint, self.now(), ms, self.step))

    def completed(
        self,
        checkout_to_complete_ms: float,
        capture_to_complete_ms: float,
        method: str,
        start_to_complete_ms: float,
    ) -> None:
        self.completions.append(
            Completion(
                self.now(),
                self.step,
                checkout_to_complete_ms,
                capture_to_complete_ms,
                method,
                start_to_complete_ms,
            )
        )

    def failed(self, what: str, step: int | None = None) -> None:
        """Count an error in the current step, or in ``step`` (a stock verified after its step ended)."""
        self.failures.append(Failure(self.now(), self.step if step is None else step, what))

    def failure_kinds(self) -> dict[str, int]:
        """Failures grouped by their first line, most frequent first (the report shows them)."""
        counts: dict[str, int] = defaultdict(int)
        for failure in self.failures:
            counts[failure.what.splitlines()[0][:160]] += 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))
