"""CPU share and RSS of every process of the stack, read from /proc with psutil.

devstack records each server and service by pid and start time (``.devstack/state.json``); a server
is a family of processes (PostgreSQL's backends, the JVM's threads are one), so each is summed over
:func:`devstack.proctable.family`. CPU is in percent of one core, like `top`: 200 is the whole machine.
Memory is RSS for a single process (every service), and the sum of PSS for a family of several
(PostgreSQL's backends all map its shared buffers; summing their RSS would count them 70 times).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import psutil

from devstack import proctable
from devstack.state import StackState

BENCH = "load generator"
OTHERS = "rest of machine"
"""CPU the stack and the load generator did not use: other engineers' work on a shared machine."""


@dataclass(frozen=True)
class ProcessSample:
    at: float
    cpu_percent: dict[str, float]
    rss_mb: dict[str, float]


@dataclass
class ProcessSampler:
    """Each call to :meth:`sample` returns the CPU used since the previous call, per named process."""

    state: StackState
    _last_cpu: dict[int, float] = field(default_factory=dict)
    _handles: dict[int, psutil.Process] = field(default_factory=dict)
    _last_at: float | None = None
    _last_machine: float | None = None

    def _families(self) -> dict[str, list[int]]:
        named = {r.name: list(proctable.family(r.pid, r.start_time)) for r in self.state.records()}
        named[BENCH] = [os.getpid()]
        return named

    def _handle(self, pid: int) -> psutil.Process | None:
        handle = self._handles.get(pid)
        if handle is None:
            try:
                handle = psutil.Process(pid)
            except psutil.Error:
                return None
            self._handles[pid] = handle
        return handle

    def sample(self, at: float) -> ProcessSample | None:
        """CPU share since the previous sample (None on the first call) and current RSS, per process."""
        times = psutil.cpu_times()
        machine_busy = sum(times) - times.idle - getattr(times, "iowait", 0.0)
        cpu: dict[str, float] = {}
        rss: dict[str, float] = {}
        seen: dict[int, float] = {}
        for name, pids in self._families().items():
            used, resident = 0.0, 0
            for pid in pids:
                handle = self._handle(pid)
                if handle is None:
                    continue
                try:
                    with handle.oneshot():
                        spent = sum(handle.cpu_times()[:4])
                        resident += (
                            handle.memory_full_info().pss if len(pids) > 1 else handle.memory_info().rss
                        )
                except psutil.Error:
                    continue
                seen[pid] = spent
                used += spent - self._last_cpu.get(pid, spent)
            cpu[name] = used
            rss[name] = resident / 1_048_576
        previous_at, previous_machine = self._last_at, self._last_machine
        self._last_cpu, self._last_at, self._last_machine = seen, at, machine_busy
        if previous_at is None or previous_machine is None or at <= previous_at:
            return None
        wall = at - previous_at
        shares = {name: round(100 * used / wall, 1) for name, used in cpu.items()}
        shares[OTHERS] = round(
            max(0.0, 100 * (machine_busy - previous_machine) / wall - sum(shares.values())), 1
        )
        return ProcessSample(at, shares, {name: round(mb, 1) for name, mb in rss.items()})
