"""A view of the process table, to find every process a server left running.

Signalling a process group is not enough: PostgreSQL's children call ``setsid()`` and leave the
postmaster's group, and a detached server outlives the command that started it. So we identify a
server by its leader's pid *and* start time (pids get reused) and follow parent links to its family.
Linux reads ``/proc``; elsewhere we fall back to ``kill(pid, 0)`` on the leader alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_PROC = Path("/proc")
HAVE_PROC = (_PROC / "self" / "stat").exists()


@dataclass(frozen=True)
class ProcInfo:
    """The few fields of ``/proc/<pid>/stat`` we need."""

    pid: int
    ppid: int
    pgid: int
    state: str
    threads: int
    start_time: int

    @property
    def zombie(self) -> bool:
        """Exited; only its parent's ``wait()`` is missing.

        A multi-threaded process (a JVM) whose main thread is a zombie is still dying while its other
        threads unwind, and still holds its ports and files: that is not dead yet.
        """
        return self.state in ("Z", "X") and self.threads <= 1


def stat_fields(raw: str) -> list[str]:
    """The fields of a ``/proc/<pid>/stat`` line after the command's name, from ``state`` (index 0) on.

    The line is "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
    stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss ..."; comm may hold
    spaces and ")", so the fields start after the last ")".
    """
    return raw[raw.rfind(")") + 2 :].split()


def read_proc(pid: int) -> ProcInfo | None:
    """Return the process ``pid``, or None if it does not exist (or /proc is unavailable)."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat_fields(raw)
    try:
        return ProcInfo(pid, int(fields[1]), int(fields[2]), fields[0], int(fields[17]), int(fields[19]))
    except (IndexError, ValueError):
        return None


def start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks since boot): a pid plus this names one process."""
    info = read_proc(pid)
    return None if info is None else info.start_time


def _snapshot() -> dict[int, ProcInfo]:
    table: dict[int, ProcInfo] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            info = read_proc(int(entry.name))
            if info is not None:
                table[info.pid] = info
    return table


def is_alive(pid: int, started: int | None = None) -> bool:
    """True if ``pid`` runs (not a zombie) and, when ``started`` is given, is the same process."""
    if not HAVE_PROC:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    info = read_proc(pid)
    if info is None or info.zombie:
        return False
    return started is None or info.start_time == started


class Row(Protocol):
    """What the family rule reads of a process: this module's :class:`ProcInfo`, or the bench's richer row."""

    @property
    def pid(self) -> int: ...
    @property
    def ppid(self) -> int: ...
    @property
    def pgid(self) -> int: ...
    @property
    def start_time(self) -> int: ...
    @property
    def zombie(self) -> bool: ...


def families_in(
    table: Mapping[int, Row], leaders: Mapping[str, tuple[int, int | None]]
) -> dict[str, set[int]]:
    """Live pids of each named leader's family in one table of the machine's processes.

    A family is the leader, its process group and all their descendants. ``leaders`` maps a name to the
    leader's pid and recorded start time (None: any). If the leader has exited, the rest of its group is
    still reported (the kernel does not reuse a pid while a group of that id has members); if its pid
    now names another process, nothing of ours can be told apart and the family is empty.
    """
    children: dict[int, list[int]] = {}
    groups: dict[int, list[int]] = {}
    for p in table.values():
        children.setdefault(p.ppid, []).append(p.pid)
        groups.setdefault(p.pgid, []).append(p.pid)
    found: dict[str, set[int]] = {}
    for name, (leader, started) in leaders.items():
        head = table.get(leader)
        if head is not None and started is not None and head.start_time != started:
            found[name] = set()
            continue
        members = set(groups.get(leader, ()))
        if head is not None:
            members.add(leader)
        todo = list(members)
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in members:
                    members.add(child)
                    todo.append(child)
        found[name] = {pid for pid in members if not table[pid].zombie}
    return found


def family(leader: int, started: int | None = None) -> dict[int, int]:
    """Live processes belonging to ``leader`` (see :func:`families_in`), as ``{pid: start_time}``."""
    if not HAVE_PROC:
        return {leader: 0} if is_alive(leader) else {}
    table = _snapshot()
    members = families_in(table, {"": (leader, started)})[""]
    return {pid: table[pid].start_time for pid in members}
