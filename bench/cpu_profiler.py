"""`BENCH_PROFILE=cpu`: a CPU-clock profile of every service during the sustained step.

Each service started with ``CPU_PROFILE_DIR`` profiles itself between two ``SIGUSR2`` (see
``shared.cpu_profile``); this sends them at the step's start and end, waits for the ``.pstat`` files
and writes ``profiles/<service>-cpu.txt`` (``bench.cpu_profile_report``: the share of each package and
room, then the costliest functions). A stack the bench starts gets the variable; a running stack
started without it is not signalled (``SIGUSR2`` would end a process that has no handler for it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

from bench.cpu_profile_report import read_report
from shared.cpu_profile import PROFILE_DIR_VARIABLE, PROFILE_SIGNAL, profile_path

log = logging.getLogger("bench")

_WRITE_TIMEOUT = 60.0
"""How long a service may take to write its profile after the second signal (a busy heap to walk)."""


def profile_folder_of(pid: int) -> Path | None:
    """The ``CPU_PROFILE_DIR`` a process was started with, from ``/proc/<pid>/environ``; None without."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    prefix = f"{PROFILE_DIR_VARIABLE}=".encode()
    for entry in raw.split(b"\0"):
        if entry.startswith(prefix) and len(entry) > len(prefix):
            return Path(entry[len(prefix) :].decode())
    return None


class CpuProfiler:
    """Same interface as :class:`bench.profiler.Profiler`: ``start(seconds)``, then ``wait()``."""

    def __init__(self, pids: dict[str, int], folder: Path) -> None:
        self.pids = pids
        self.folder = folder
        self._targets: dict[str, tuple[int, Path]] = {}
        self._stopping: asyncio.Task[None] | None = None
        self.written: dict[str, Path] = {}

    async def start(self, seconds: float) -> None:
        for name, pid in self.pids.items():
            folder = profile_folder_of(pid)
            if folder is None:
                log.warning("BENCH_PROFILE=cpu: %s runs without %s; not profiled", name, PROFILE_DIR_VARIABLE)
                continue
            self._targets[name] = (pid, profile_path(folder, name, pid))
        for pid, output in self._targets.values():
            output.unlink(missing_ok=True)
            os.kill(pid, PROFILE_SIGNAL)
        if self._targets:
            log.info("CPU profile (yappi) of %s for %.0f s", ", ".join(self._targets), seconds)
            self._stopping = asyncio.create_task(self._stop_after(seconds))

    async def _stop_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        for pid, _ in self._targets.values():
            os.kill(pid, PROFILE_SIGNAL)

    async def wait(self) -> None:
        if self._stopping is None:
            return
        await self._stopping
        self.folder.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + _WRITE_TIMEOUT
        for name, (_, output) in self._targets.items():
            while not output.exists() and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            if not output.exists():
                log.warning("BENCH_PROFILE=cpu: %s wrote no profile to %s", name, output)
                continue
            report = self.folder / f"{name}-cpu.txt"
            report.write_text(read_report(output).render())
            self.written[name] = report
        log.info("CPU profiles: %s", ", ".join(str(p) for p in self.written.values()) or "none")
