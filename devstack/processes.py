"""ManagedProcess: run one server command, know when it is ready, and make sure it goes away.

Every server runs in its own session (so a Ctrl-C in the terminal reaches us, not it, and we can
signal its whole group), with stdout and stderr appended to a log file whose tail goes into the
error when it fails to start. Stopping is SIGTERM (or the server's own stop signal), a bounded wait,
then SIGKILL for the whole family. Processes still registered when the interpreter exits are stopped
by an ``atexit`` hook, so a test run or a failed ``make run`` never leaves servers behind; a process
that must outlive us (``python -m devstack start``) is explicitly :meth:`ManagedProcess.detach`-ed.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import pwd
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack import proctable
from devstack.errors import ServerStartError
from devstack.readiness import Probe

log = logging.getLogger("devstack")

_KILL_WAIT = 10.0  # after SIGKILL, how long the kernel may take to reap a family
_POLL = 0.05


@dataclass(frozen=True)
class ProcessSpec:
    """How to run one server: the command, where it logs, and how it likes to be stopped."""

    name: str
    argv: Sequence[str]
    log_path: Path
    cwd: Path | None = None
    env: Mapping[str, str] | None = None
    """Variables added to (or overriding) our own environment."""
    user: str | None = None
    """Run as this user (needs root); PostgreSQL, for one, refuses to run as root."""
    stop_signal: signal.Signals = signal.SIGTERM
    signal_group: bool = True
    """Send ``stop_signal`` to the whole process group, or only to the leader (PostgreSQL)."""
    start_timeout: float = 60.0
    stop_timeout: float = 20.0


@dataclass(frozen=True)
class ProcessRecord:
    """What is needed to find and stop a running server later, from another process."""

    name: str
    pid: int
    start_time: int | None
    stop_signal: int
    signal_group: bool
    stop_timeout: float
    log_path: str

    def is_alive(self) -> bool:
        """True while the server or any process of its family still runs."""
        return bool(proctable.family(self.pid, self.start_time))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for the state file)."""
        return {
            "name": self.name,
            "pid": self.pid,
            "start_time": self.start_time,
            "stop_signal": self.stop_signal,
            "signal_group": self.signal_group,
            "stop_timeout": self.stop_timeout,
            "log_path": self.log_path,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProcessRecord:
        """Inverse of :meth:`to_json`."""
        start = data.get("start_time")
        return cls(
            name=str(data["name"]),
            pid=int(data["pid"]),
            start_time=None if start is None else int(start),
            stop_signal=int(data.get("stop_signal", signal.SIGTERM)),
            signal_group=bool(data.get("signal_group", True)),
            stop_timeout=float(data.get("stop_timeout", 20.0)),
            log_path=str(data.get("log_path", "")),
        )


@dataclass
class _Target:
    record: ProcessRecord
    popen: subprocess.Popen[bytes] | None = None
    known: dict[int, int] = field(default_factory=dict)

    def reap(self) -> None:
        if self.popen is not None:
            self.popen.poll()

    def refresh(self) -> None:
        """Add children started since the last look (only while the leader lives)."""
        self.reap()
        if proctable.is_alive(self.record.pid, self.record.start_time):
            self.known.update(proctable.family(self.record.pid, self.record.start_time))

    def alive(self) -> bool:
        self.reap()
        self.known = {pid: st for pid, st in self.known.items() if proctable.is_alive(pid, st or None)}
        # Our own child is gone only once reaped: the kernel reports the exit after every thread ended.
        leader_unreaped = self.popen is not None and self.popen.returncode is None
        return bool(self.known) or leader_unreaped

    def send(self, sig: int) -> None:
        pid = self.record.pid
        leader_alive = proctable.is_alive(pid, self.record.start_time)
        if self.record.signal_group or sig == signal.SIGKILL or not leader_alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
        elif leader_alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        if sig == signal.SIGKILL:
            for member, started in self.known.items():
                if proctable.is_alive(member, started or None):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(member, sig)


def _wait_gone(targets: Sequence[_Target], deadline: float) -> None:
    while time.monotonic() < deadline:
        pending = [t for t in targets if t.alive()]
        if not pending:
            return
        for target in pending:
            target.refresh()
        time.sleep(_POLL)


def _terminate(targets: Sequence[_Target], timeout: float | None, *, kill: bool = False) -> list[str]:
    """Stop all targets concurrently; return the names that needed SIGKILL."""
    live = []
    for target in targets:
        target.known = proctable.family(target.record.pid, target.record.start_time)
        if target.known:
            live.append(target)
            target.send(signal.SIGKILL if kill else target.record.stop_signal)
    if not live:
        return []
    if not kill:
        wait = timeout if timeout is not None else max(t.record.stop_timeout for t in live)
        _wait_gone(live, time.monotonic() + wait)
    stragglers = [t for t in live if t.alive()]
    for target in stragglers:
        if not kill:
            log.warning("%s did not stop in time; sending SIGKILL", target.record.name)
        target.send(signal.SIGKILL)
    _wait_gone(stragglers, time.monotonic() + _KILL_WAIT)
    for target in live:
        target.reap()
    return [t.record.name for t in stragglers]


def stop_records(records: Sequence[ProcessRecord], timeout: float | None = None) -> list[str]:
    """Stop servers we did not start ourselves (from a state file); return those that needed SIGKILL."""
    return _terminate([_Target(r) for r in records], timeout)


class ManagedProcess:
    """One server process: spawn, wait until ready, stop, kill, and never leak it."""

    def __init__(self, spec: ProcessSpec) -> None:
        self.spec = spec
        self._popen: subprocess.Popen[bytes] | None = None
        self._start_time: int | None = None
        self._log_offset = 0

    def __repr__(self) -> str:
        return f"<ManagedProcess {self.name} pid={self.pid} running={self.is_running()}>"

    @property
    def name(self) -> str:
        """The server's name, as used in logs and errors."""
        return self.spec.name

    @property
    def log_path(self) -> Path:
        """Where stdout and stderr go (appended across restarts)."""
        return self.spec.log_path

    @property
    def pid(self) -> int | None:
        """The leader's pid while spawned."""
        return None if self._popen is None else self._popen.pid

    @property
    def returncode(self) -> int | None:
        """The exit status once it has exited (negative: killed by that signal)."""
        return None if self._popen is None else self._popen.poll()

    def is_running(self) -> bool:
        """True while the leader process runs."""
        return self._popen is not None and self._popen.poll() is None

    def spawn(self) -> None:
        """Start the command, without waiting for it to be ready."""
        if self.is_running():
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        spec = self.spec
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = None if spec.env is None else {**os.environ, **spec.env}
        user_kwargs: dict[str, Any] = {}
        if spec.user is not None and spec.user != pwd.getpwuid(os.geteuid()).pw_name:
            account = pwd.getpwnam(spec.user)
            user_kwargs = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
            env = {
                **(env or os.environ),
                "HOME": account.pw_dir,
                "USER": spec.user,
                "LOGNAME": spec.user,
            }
        with spec.log_path.open("ab") as log_file:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log_file.write(
                f"\n==> devstack {stamp}: starting {spec.name}: {shlex.join(spec.argv)}\n".encode()
            )
            log_file.flush()
            self._log_offset = log_file.tell()
            try:
                self._popen = subprocess.Popen(
                    list(spec.argv),
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    cwd=spec.cwd,
                    env=env,
                    start_new_session=True,
                    **user_kwargs,
                )
            except OSError as exc:
                raise ServerStartError(
                    spec.name, spec.log_path, f"cannot run {spec.argv[0]!r}: {exc}"
                ) from exc
        self._start_time = proctable.start_time(self._popen.pid)
        _register(self)
        log.debug("%s: pid %d, log %s", spec.name, self._popen.pid, spec.log_path)

    async def wait_ready(self, probe: Probe | None, timeout: float | None = None) -> None:
        """Poll ``probe`` until it passes; fail fast if the process exits, and after ``timeout``."""
        limit = self.spec.start_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        last_error: BaseException | None = None
        while True:
            code = self.returncode
            if code is not None:
                raise ServerStartError(
                    self.name,
                    self.log_path,
                    f"exited with status {code} before it was ready",
                    self.log_tail(),
                )
            if probe is None:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                detail = f" (last check: {type(last_error).__name__}: {last_error})" if last_error else ""
                raise ServerStartError(
                    self.name, self.log_path, f"not ready after {limit:.0f} s{detail}", self.log_tail()
                )
            try:
                await asyncio.wait_for(probe(), timeout=min(remaining, 15.0))
                return
            except Exception as exc:  # a probe reports "not yet" by raising anything
                last_error = exc
            await asyncio.sleep(0.2)

    async def start(self, probe: Probe | None = None, timeout: float | None = None) -> None:
        """Spawn and wait until ``probe`` passes; on any failure stop the process and raise."""
        self.spawn()
        try:
            await self.wait_ready(probe, timeout)
        except BaseException:
            self.stop(timeout=5.0)
            raise

    def stop(self, timeout: float | None = None) -> None:
        """Ask the server to stop, wait up to ``timeout`` seconds, then SIGKILL its whole family."""
        if self._popen is None:
            return
        _terminate([self._target()], timeout)
        _unregister(self)

    def kill(self) -> None:
        """SIGKILL the server and its family at once (a crash, for fault tests).

        The leader is stopped (SIGSTOP) first, so it forks no child between the look at its family
        and the kill: PostgreSQL's backends lead process groups of their own, so a backend forked at
        that moment would escape the group kill, outlive its postmaster and hold the shared memory
        that the next start needs ("pre-existing shared memory block is still in use")."""
        if self._popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self._popen.pid, signal.SIGSTOP)
        _terminate([self._target()], None, kill=True)
        _unregister(self)

    def record(self) -> ProcessRecord:
        """The identity of the running process, for stopping it from elsewhere."""
        if self._popen is None:
            raise RuntimeError(f"{self.name} was never started")
        return ProcessRecord(
            name=self.name,
            pid=self._popen.pid,
            start_time=self._start_time,
            stop_signal=int(self.spec.stop_signal),
            signal_group=self.spec.signal_group,
            stop_timeout=self.spec.stop_timeout,
            log_path=str(self.log_path),
        )

    def detach(self) -> ProcessRecord:
        """Let the process outlive this interpreter; return the record needed to stop it later."""
        _unregister(self)
        return self.record()

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines this run wrote to its log."""
        try:
            with self.log_path.open("rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(self._log_offset, size - 64 * 1024))
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _target(self) -> _Target:
        return _Target(self.record(), self._popen)


def stop_all(
    processes: Iterable[ManagedProcess], timeout: float | None = None, *, kill: bool = False
) -> None:
    """Stop several servers concurrently (signal all, then wait for all); ``kill``: SIGKILL at once,
    for servers whose data is thrown away next, so a clean shutdown would buy nothing."""
    procs = [p for p in processes if p._popen is not None]
    killed = _terminate([p._target() for p in procs], timeout, kill=kill)
    for proc in procs:
        _unregister(proc)
    if killed:
        log.warning("had to SIGKILL: %s", ", ".join(killed))


_registry: dict[int, ManagedProcess] = {}
_registry_lock = threading.Lock()


def _register(proc: ManagedProcess) -> None:
    with _registry_lock:
        _registry[id(proc)] = proc


def _unregister(proc: ManagedProcess) -> None:
    with _registry_lock:
        _registry.pop(id(proc), None)


def running_processes() -> list[ManagedProcess]:
    """Processes started here and not yet stopped or detached."""
    with _registry_lock:
        return list(_registry.values())


@atexit.register
def _stop_leftovers() -> None:
    leftovers = running_processes()
    if leftovers:
        stop_all(leftovers, timeout=10.0)
