"""A CPU profile of a running service, switched on and off by signal (opt-in: ``CPU_PROFILE_DIR``).

With ``CPU_PROFILE_DIR`` set, a service's first ``SIGUSR2`` starts yappi on each thread's CPU clock
and the next one stops it and writes ``<CPU_PROFILE_DIR>/<service>-<pid>.pstat`` (``pstats`` format:
``python -m pstats``, snakeviz, or ``bench.cpu_profile_report``). Without the variable nothing is
installed and the process keeps ``SIGUSR2``'s default action.

Why not a sampling profiler from outside: py-spy samples the threads that are not idle, runnable ones
included, so on a saturated machine a process's samples pile up where it was preempted, mostly right
after a write that woke another process (docs/benchmark.md, round 15). yappi counts the CPU each
function used, and follows coroutines across their awaits. It slows the profiled code down (every call
is counted), so its shares, not its absolute times, are what to read.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)

PROFILE_DIR_VARIABLE = "CPU_PROFILE_DIR"
PROFILE_SIGNAL = signal.SIGUSR2


def profile_path(folder: Path, service: str, pid: int) -> Path:
    """Where a service's profile is written: the bench waits for this file."""
    return folder / f"{service}-{pid}.pstat"


class CpuProfileToggle:
    """Starts yappi at one signal, stops it and writes the profile at the next."""

    def __init__(self, service: str, folder: Path) -> None:
        self.service = service
        self.folder = folder
        self._started: float | None = None

    def toggle(self, _signum: int = 0, _frame: FrameType | None = None) -> None:
        import yappi

        if self._started is None:
            yappi.set_clock_type("cpu")
            yappi.clear_stats()
            yappi.start(builtins=True)
            self._started = time.process_time()
            log.warning("CPU profile started (yappi, CPU clock); the next SIGUSR2 writes it")
            return
        yappi.stop()
        process_seconds = time.process_time() - self._started
        self._started = None
        self.folder.mkdir(parents=True, exist_ok=True)
        path = profile_path(self.folder, self.service, os.getpid())
        partial = path.with_suffix(".partial")
        yappi.get_func_stats().save(str(partial), type="pstat")
        partial.replace(path)  # whoever waits for the file never reads half of it
        yappi.clear_stats()
        log.warning("CPU profile of %.1f s of process CPU written to %s", process_seconds, path)


def install_cpu_profile_toggle(
    service: str, environ: Mapping[str, str] | None = None
) -> CpuProfileToggle | None:
    """Install the ``SIGUSR2`` toggle when ``CPU_PROFILE_DIR`` is set and yappi is importable."""
    folder = (os.environ if environ is None else environ).get(PROFILE_DIR_VARIABLE, "")
    if not folder:
        return None
    try:
        import yappi  # noqa: F401
    except ImportError:
        log.warning("%s is set but yappi is not installed: no CPU profile", PROFILE_DIR_VARIABLE)
        return None
    toggle = CpuProfileToggle(service, Path(folder))
    signal.signal(PROFILE_SIGNAL, toggle.toggle)
    log.info("CPU profile on SIGUSR2 into %s", folder)
    return toggle
