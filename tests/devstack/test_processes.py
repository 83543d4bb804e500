"""ManagedProcess against real child processes: readiness, failure reports, and nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from devstack import proctable
from devstack.errors import ServerStartError
from devstack.ports import free_port, free_ports
from devstack.processes import ManagedProcess, ProcessSpec, running_processes, stop_all, stop_records
from devstack.readiness import tcp_probe
from tests.support.polling import poll_until

REPO = Path(__file__).resolve().parents[2]


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def _listener(port: int) -> list[str]:
    return _python(
        f"""
        import socket, time
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", {port}))
        s.listen()
        print("listening", flush=True)
        time.sleep(300)
        """
    )


def test_free_ports_are_distinct_and_bindable():
    ports = free_ports(20)
    assert len(set(ports)) == 20
    assert all(20000 <= p < 32768 for p in ports)


async def test_start_waits_for_port_and_stop_ends_it(tmp_path: Path):
    port = free_port()
    proc = ManagedProcess(ProcessSpec("listener", _listener(port), tmp_path / "listener.log"))
    await proc.start(tcp_probe("127.0.0.1", port))
    assert proc.is_running()
    assert proc in running_processes()
    # The listener prints after listen(): the probe can get in first, and a stop right away could
    # end it before it printed. Its output still has to reach the log.
    log = await poll_until(lambda: (tmp_path / "listener.log").read_text(), lambda text: "listening" in text)
    assert "listening" in log
    proc.stop()
    assert not proc.is_running()
    assert proc.returncode == -signal.SIGTERM
    assert proc not in running_processes()


async def test_failure_names_server_log_and_tail(tmp_path: Path):
    log_path = tmp_path / "broken.log"
    code = "print('line one'); print('FATAL: bad setting foo=bar', flush=True); raise SystemExit(3)"
    proc = ManagedProcess(ProcessSpec("broken-server", _python(code), log_path))
    with pytest.raises(ServerStartError) as caught:
        await proc.start(tcp_probe("127.0.0.1", free_port()))
    message = str(caught.value)
    assert "broken-server" in message
    assert str(log_path) in message
    assert "exited with status 3" in message
    assert "FATAL: bad setting foo=bar" in message
    assert caught.value.server == "broken-server"


async def test_timeout_reports_last_check_and_stops_the_process(tmp_path: Path):
    code = "import time; print('still booting', flush=True); time.sleep(300)"
    proc = ManagedProcess(ProcessSpec("slowpoke", _python(code), tmp_path / "slow.log", start_timeout=1.0))
    with pytest.raises(ServerStartError) as caught:
        await proc.start(tcp_probe("127.0.0.1", free_port()))
    assert "not ready after 1 s" in str(caught.value)
    assert "still booting" in str(caught.value)
    assert not proc.is_running()


async def test_stop_reaches_children_that_left_the_group(tmp_path: Path):
    """Like PostgreSQL's backends, a child in its own session must still be stopped."""
    port = free_port()
    code = f"""
        import socket, subprocess, time
        same = subprocess.Popen(["sleep", "300"])
        own = subprocess.Popen(["sleep", "300"], start_new_session=True)
        print("children", same.pid, own.pid, flush=True)
        s = socket.socket(); s.bind(("127.0.0.1", {port})); s.listen()
        time.sleep(300)
        """
    log_path = tmp_path / "family.log"
    proc = ManagedProcess(ProcessSpec("family", _python(code), log_path, stop_timeout=1.0))
    await proc.start(tcp_probe("127.0.0.1", port))
    line = next(x for x in log_path.read_text().splitlines() if x.startswith("children"))
    children = [int(x) for x in line.split()[1:]]
    assert all(proctable.is_alive(pid) for pid in children)
    proc.stop()
    assert not any(proctable.is_alive(pid) for pid in children)
    assert not proc.is_running()


async def test_kill_is_sigkill(tmp_path: Path):
    port = free_port()
    proc = ManagedProcess(ProcessSpec("victim", _listener(port), tmp_path / "victim.log"))
    await proc.start(tcp_probe("127.0.0.1", port))
    proc.kill()
    assert proc.returncode == -signal.SIGKILL


async def test_stop_all_can_kill_without_asking_first(tmp_path: Path):
    """For servers whose data is deleted next: no SIGTERM and no wait for a clean shutdown."""
    ports = free_ports(2)
    asked, killed = (
        ManagedProcess(ProcessSpec(name, _listener(port), tmp_path / f"{name}.log"))
        for name, port in zip(("asked", "killed"), ports, strict=True)
    )
    for proc, port in zip((asked, killed), ports, strict=True):
        await proc.start(tcp_probe("127.0.0.1", port))
    stop_all([asked])
    stop_all([killed], kill=True)
    assert asked.returncode == -signal.SIGTERM
    assert killed.returncode == -signal.SIGKILL
    assert not killed.is_running() and killed not in running_processes()


async def test_detached_process_is_stopped_from_its_record(tmp_path: Path):
    port = free_port()
    proc = ManagedProcess(ProcessSpec("detached", _listener(port), tmp_path / "detached.log"))
    await proc.start(tcp_probe("127.0.0.1", port))
    record = proc.detach()
    assert proc not in running_processes()
    assert record.is_alive()
    assert stop_records([record]) == []
    assert not record.is_alive()
    proc.returncode  # reap  # noqa: B018


def test_interpreter_exit_stops_leftover_processes(tmp_path: Path):
    """A program that forgets to stop its servers still leaves nothing behind (atexit)."""
    script = f"""
        import asyncio, sys
        from pathlib import Path
        from devstack.processes import ManagedProcess, ProcessSpec
        proc = ManagedProcess(ProcessSpec("orphan", ["sleep", "300"], Path({str(tmp_path)!r}) / "o.log"))
        asyncio.run(proc.start())
        print(proc.pid, flush=True)
        """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(_python(script), capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    pid = int(result.stdout.split()[-1])
    assert not proctable.is_alive(pid)
