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
    """One checkout that ended with the order complete and its stock deducted."""

    at: float
    step: int
    checkout_to_complete_ms: float
    capture_to_complete_ms: float
    method: str


@dataclass(frozen=True)
class Failure:
    """Something that should not have happened: an unexpected status, a timeout, a wrong state."""

    at: float
    step: int
    what: str


@dataclass
class Recorder:
    """The observations of one run; ``step`` is the ramp step currently running (-1: setup)."""

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

    def completed(self, checkout_to_complete_ms: float, capture_to_complete_ms: float, method: str) -> None:
        self.completions.append(
            Completion(self.now(), self.step, checkout_to_complete_ms, capture_to_complete_ms, method)
        )

    def failed(self, what: str) -> None:
        self.failures.append(Failure(self.now(), self.step, what))

    def failure_kinds(self) -> dict[str, int]:
        """Failures grouped by their first line, most frequent first (the report shows them)."""
        counts: dict[str, int] = defaultdict(int)
        for failure in self.failures:
            counts[failure.what.splitlines()[0][:160]] += 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))
