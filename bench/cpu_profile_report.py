"""What a CPU profile (``shared.cpu_profile``'s ``.pstat``) says, as text: the share of the profiled
CPU each area took (a third-party package or a room of this repository), then the functions that took
the most CPU themselves.

Own time ("tsub"), not inclusive time: own times add up to the whole, so shares of areas do too. The
time of built-ins and of the standard library (``isinstance``, ``dict.get``, ``contextlib``) goes to
the area that called them, split by what each caller's calls took: ``isinstance`` called by FastAPI's
router is FastAPI's cost. Only what the runtime spent on its own stays ``stdlib``.
``python -m bench.cpu_profile_report FILE.pstat [...]`` prints the report of each file.
"""

from __future__ import annotations

import pstats
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
_SITE_PACKAGE = re.compile(r"site-packages/([^/]+)")


@dataclass(frozen=True)
class FunctionCost:
    where: str
    name: str
    calls: int
    own_seconds: float


@dataclass(frozen=True)
class CpuProfileReport:
    total_seconds: float
    areas: list[tuple[str, float]]
    """(area, own seconds), most first."""
    functions: list[FunctionCost]
    """Most own time first."""

    def render(self, *, areas: int = 25, functions: int = 40) -> str:
        total = self.total_seconds or 1.0
        lines = [f"profiled CPU (own times, yappi's counting included): {self.total_seconds:.2f} s"]
        lines += ["", "share  area"]
        lines += [f"{seconds / total * 100:5.1f}% {area}" for area, seconds in self.areas[:areas]]
        lines += ["", "share   calls  function"]
        for f in self.functions[:functions]:
            lines.append(f"{f.own_seconds / total * 100:5.1f}% {f.calls:7d}  {f.name}  ({f.where})")
        return "\n".join(lines) + "\n"


def area_of(filename: str, function: str) -> str:
    """The package, repository room (``shared/eventstore``), or ``stdlib``/``builtins`` a function is in."""
    package = _SITE_PACKAGE.search(filename)
    if package:
        return package.group(1).removesuffix(".py")
    path = Path(filename)
    if path.is_absolute() and path.is_relative_to(REPO):
        parts = path.relative_to(REPO).parts
        return "/".join(parts[:2]) if len(parts) > 2 else parts[0]
    if filename in ("~", "") or filename.startswith("builtins"):
        return "builtins"
    if filename.startswith("<frozen") or "/lib/python3" in filename:
        return "stdlib"
    return filename


_RUNTIME = ("builtins", "stdlib")
_CALLER_DEPTH = 4
"""How far up a built-in's callers to look for an area that is not the runtime's own."""

Key = tuple[str, int, str]


def _is_runtime(area: str) -> bool:
    return area in _RUNTIME or area.startswith(("_", "<"))


def _attribute(
    stats: dict[Key, Any], key: Key, seconds: float, areas: defaultdict[str, float], depth: int = 0
) -> None:
    """Add ``seconds`` of ``key`` to its area or, for the runtime's functions, to their callers'."""
    area = area_of(key[0], key[2])
    callers = stats[key][4] if key in stats else {}
    if not _is_runtime(area) or depth >= _CALLER_DEPTH or not callers:
        areas["stdlib" if _is_runtime(area) else area] += seconds
        return
    weights = {caller: pair[2] for caller, pair in callers.items()}
    total = sum(weights.values())
    if total <= 0:
        weights = {caller: pair[1] for caller, pair in callers.items()}
        total = sum(weights.values()) or 1
    for caller, weight in weights.items():
        _attribute(stats, caller, seconds * weight / total, areas, depth + 1)


def _short(filename: str) -> str:
    package = _SITE_PACKAGE.search(filename)
    if package:
        return filename[package.start(1) :]
    path = Path(filename)
    if path.is_absolute() and path.is_relative_to(REPO):
        return str(path.relative_to(REPO))
    return filename.rsplit("/", 1)[-1]


def read_report(path: Path) -> CpuProfileReport:
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    areas: defaultdict[str, float] = defaultdict(float)
    functions = []
    for key, (_primitive, calls, own, _inclusive, _callers) in stats.items():
        _attribute(stats, key, own, areas)
        filename, line, name = key
        functions.append(FunctionCost(f"{_short(filename)}:{line}", name, calls, own))
    functions.sort(key=lambda f: f.own_seconds, reverse=True)
    return CpuProfileReport(sum(areas.values()), sorted(areas.items(), key=lambda a: -a[1]), functions)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m bench.cpu_profile_report FILE.pstat [...]", file=sys.stderr)
        return 2
    for name in argv:
        print(f"== {name}")
        print(read_report(Path(name)).render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
