"""`BENCH_PROFILE=1`: py-spy samples every service during the sustained step, into flame graphs
(bench/profiles/<service>.svg) and collapsed stacks (.txt, for grepping the hot frames).

py-spy reads the processes' memory from outside (``--nonblocking``: it never pauses them), so the
profile costs the services nothing but the CPU py-spy itself takes on this small machine.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sys
from pathlib import Path

log = logging.getLogger("bench")


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profiler:
    def __init__(self, pids: dict[str, int], folder: Path) -> None:
        self.pids = pids
        self.folder = folder
        self._running: list[asyncio.subprocess.Process] = []

    async def start(self, seconds: float) -> None:
        tool = py_spy()
        if tool is None:
            log.warning("BENCH_PROFILE: py-spy is not installed (pip install -e '.[bench]')")
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, pid in self.pids.items():
            for fmt, suffix in (("flamegraph", "svg"), ("raw", "txt")):
                self._running.append(
                    await asyncio.create_subprocess_exec(
                        tool,
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        str(max(1, int(seconds))),
                        "--rate",
                        "25",
                        "--nonblocking",
                        "--format",
                        fmt,
                        "-o",
                        str(self.folder / f"{name}.{suffix}"),
                        stdout=asyncio.subprocess.DEVNULL,
                        stderr=asyncio.subprocess.DEVNULL,
                    )
                )
        log.info("profiling %s with py-spy into %s", ", ".join(self.pids), self.folder)

    async def wait(self) -> None:
        for process in self._running:
            await process.wait()
        self._running.clear()
