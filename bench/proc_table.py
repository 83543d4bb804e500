"""One pass over /proc per monitor sample: every process's parent, group, start time, CPU and RSS.

The monitor used to ask :func:`devstack.proctable.family` once per server per sample, a whole /proc
scan each time, then psutil for every pid again: about 80-100 ms of the load generator's CPU every
second. Here one read of each ``/proc/<pid>/stat`` gives everything a sample needs, and the families
are resolved from that one table by devstack's own rule (:func:`devstack.proctable.families_in`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from devstack.proctable import stat_fields

_PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Proc:
    """The fields of ``/proc/<pid>/stat`` a sample uses."""

    pid: int
    ppid: int
    pgid: int
    start_time: int
    """Clock ticks since boot: a pid plus this names one process."""
    cpu_seconds: float
    """User and system time, its own and its reaped children's (so exited PostgreSQL backends count)."""
    rss_bytes: int
    zombie: bool


def parse_stat(pid: int, raw: str) -> Proc | None:
    """One ``/proc/<pid>/stat`` line; None if it cannot be read (comm may hold spaces and ")")."""
    fields = stat_fields(raw)
    try:
        ticks = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        return Proc(
            pid=pid,
            ppid=int(fields[1]),
            pgid=int(fields[2]),
            start_time=int(fields[19]),
            cpu_seconds=ticks / TICKS,
            rss_bytes=int(fields[21]) * PAGE,
            zombie=fields[0] in ("Z", "X") and int(fields[17]) <= 1,
        )
    except (IndexError, ValueError):
        return None


def uptime() -> float:
    """Seconds since boot, the clock of :attr:`Proc.start_time` (divided by :data:`TICKS`)."""
    try:
        return float((_PROC / "uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0


def scan() -> dict[int, Proc]:
    """Every process on the machine, one file read each."""
    table: dict[int, Proc] = {}
    try:
        entries = os.listdir(_PROC)
    except OSError:
        return table
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(_PROC / name / "stat") as handle:
                raw = handle.read()
        except OSError:
            continue  # exited while we looked
        proc = parse_stat(int(name), raw)
        if proc is not None:
            table[proc.pid] = proc
    return table
