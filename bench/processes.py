"""CPU share and memory of every process of the stack, from one /proc pass per sample.

devstack records each server and service by pid and start time (``.devstack/state.json``); a server
is a family of processes (PostgreSQL's backends, the JVM's threads are one), so each is summed over
its family (:mod:`bench.proc_table`). CPU is in percent of one core, like `top`: 200 is the whole
machine. Memory is RSS for a single process (every service, read in the same pass), and the sum of
PSS for a family of several (PostgreSQL's backends all map its shared buffers; summing their RSS
would count them 70 times). PSS means reading every member's smaps, so it is taken every
:data:`PSS_EVERY` seconds and the last value reported in between: the monitor must stay cheap, as
its CPU is the load generator's, taken from the same two cores as the stack's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import psutil

from bench import proc_table
from devstack.proctable import families_in
from devstack.state import StackState

BENCH = "load generator"
OTHERS = "rest of machine"
"""CPU the stack and the load generator did not use: other engineers' work on a shared machine."""
PSS_EVERY = 10.0
"""Seconds between two PSS readings of the multi-process servers."""


@dataclass(frozen=True)
class ProcessSample:
    at: float
    cpu_percent: dict[str, float]
    rss_mb: dict[str, float]


def _pss(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_full_info().pss
        except psutil.Error:
            continue  # exited, or not ours to read
    return total


def cpu_used(
    table: dict[int, proc_table.Proc],
    pids: set[int],
    previous: dict[int, tuple[int, float]],
    previous_pids: set[int],
    previous_uptime: float | None,
) -> float:
    """CPU seconds a family used since the previous sample.

    ``previous`` holds each pid's (start time, CPU seconds) then, ``previous_pids`` the family then. A
    process born since (``previous_uptime``, seconds since boot) counts from birth; one that has left
    is taken back by what it had then, since its parent's reaped-children time now holds all of it.
    """
    used = 0.0
    for pid in pids:
        proc = table[pid]
        before = previous.get(pid)
        if before is not None and before[0] == proc.start_time:
            used += proc.cpu_seconds - before[1]
        elif previous_uptime is not None and proc.start_time / proc_table.TICKS >= previous_uptime:
            used += proc.cpu_seconds
    for pid in previous_pids - pids:
        gone = previous.get(pid)
        if gone is not None:
            used -= gone[1]
    return max(used, 0.0)


@dataclass
class ProcessSampler:
    """Each call to :meth:`sample` returns the CPU used since the previous call, per named process
    (:func:`cpu_used`: PostgreSQL's backends come and go, its postmaster reaps them)."""

    state: StackState
    _last_cpu: dict[int, tuple[int, float]] = field(default_factory=dict)
    _last_members: dict[str, set[int]] = field(default_factory=dict)
    _last_at: float | None = None
    _last_uptime: float | None = None
    _last_machine: float | None = None
    _pss_mb: dict[str, float] = field(default_factory=dict)
    _pss_at: float | None = None

    def _leaders(self) -> dict[str, tuple[int, int | None]]:
        leaders = {r.name: (r.pid, r.start_time) for r in self.state.records()}
        leaders[BENCH] = (os.getpid(), None)
        return leaders

    def sample(self, at: float) -> ProcessSample | None:
        """CPU share since the previous sample (None on the first call) and current memory, per process."""
        table = proc_table.scan()
        uptime = proc_table.uptime()
        times = psutil.cpu_times()
        machine_busy = sum(times) - times.idle - getattr(times, "iowait", 0.0)
        members = families_in(table, self._leaders())
        cpu = {
            name: cpu_used(
                table, pids, self._last_cpu, self._last_members.get(name, set()), self._last_uptime
            )
            for name, pids in members.items()
        }
        if self._pss_at is None or at - self._pss_at >= PSS_EVERY:
            self._pss_at = at
            self._pss_mb = {name: _pss(pids) / 1_048_576 for name, pids in members.items() if len(pids) > 1}
        rss = {
            name: self._pss_mb.get(name, 0.0)
            if len(pids) > 1
            else sum(table[pid].rss_bytes for pid in pids) / 1_048_576
            for name, pids in members.items()
        }
        previous_at, previous_machine = self._last_at, self._last_machine
        self._last_cpu = {
            pid: (table[pid].start_time, table[pid].cpu_seconds) for pids in members.values() for pid in pids
        }
        self._last_members = members
        self._last_at, self._last_uptime, self._last_machine = at, uptime, machine_busy
        if previous_at is None or previous_machine is None or at <= previous_at:
            return None
        wall = at - previous_at
        shares = {name: round(100 * used / wall, 1) for name, used in cpu.items()}
        shares[OTHERS] = round(
            max(0.0, 100 * (machine_busy - previous_machine) / wall - sum(shares.values())), 1
        )
        return ProcessSample(at, shares, {name: round(mb, 1) for name, mb in rss.items()})
