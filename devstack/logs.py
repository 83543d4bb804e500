"""The stack's logs are appended across runs, and rotated at start so they never grow without end.

Each process appends to ``<logs>/<process>.log`` (a ``==> devstack <time>: starting ...`` line opens
each run). When ``make start`` finds one over :data:`ROTATE_BYTES` it becomes ``<process>.log.1``
(``.1`` becomes ``.2``, and so on; the oldest beyond :data:`KEEP` is deleted). Nothing runs at that
moment, so no process writes to a file being renamed.
"""

from __future__ import annotations

from pathlib import Path

ROTATE_BYTES = 20 * 1024 * 1024
KEEP = 3


def rotate_logs(folder: Path, max_bytes: int = ROTATE_BYTES, keep: int = KEEP) -> list[Path]:
    """Rotate every ``*.log`` in ``folder`` over ``max_bytes``; return the logs rotated."""
    rotated: list[Path] = []
    if not folder.is_dir():
        return rotated
    for current in sorted(folder.glob("*.log")):
        if not current.is_file() or current.stat().st_size <= max_bytes:
            continue
        generations = [current.with_name(f"{current.name}.{n}") for n in range(1, keep + 1)]
        generations[-1].unlink(missing_ok=True)
        for older, newer in zip(reversed(generations[1:]), reversed(generations[:-1]), strict=True):
            if newer.exists():
                newer.rename(older)
        current.rename(generations[0])
        rotated.append(current)
    return rotated
