"""A process started with CPU_PROFILE_DIR profiles itself between two SIGUSR2, as the bench's
`BENCH_PROFILE=cpu` drives it; the report gives built-ins' time to the code that called them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bench.cpu_profile_report import read_report
from bench.cpu_profiler import profile_folder_of
from bench.settings import BenchSettings
from shared.cpu_profile import PROFILE_DIR_VARIABLE, install_cpu_profile_toggle

REPO = Path(__file__).resolve().parents[3]

BUSY_SERVICE = textwrap.dedent(
    """
    import sys
    from shared.cpu_profile import install_cpu_profile_toggle

    def spin_for_profile(values):
        return sum(1 for v in values if isinstance(v, int))

    assert install_cpu_profile_toggle("busy") is not None
    print("ready", flush=True)
    while True:
        spin_for_profile(range(2000))
    """
)


def _wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"no profile written to {path}"
        time.sleep(0.05)


def test_two_signals_write_the_profile_of_what_ran_between_them(tmp_path: Path) -> None:
    script = tmp_path / "busy_service.py"
    script.write_text(BUSY_SERVICE)
    folder = tmp_path / "profiles"
    env = {**os.environ, PROFILE_DIR_VARIABLE: str(folder), "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert profile_folder_of(child.pid) == folder  # what the bench checks before it signals
        output = folder / f"busy-{child.pid}.pstat"
        os.kill(child.pid, signal.SIGUSR2)
        time.sleep(0.5)
        assert not output.exists()  # written at the second signal, not before
        os.kill(child.pid, signal.SIGUSR2)
        _wait_for(output)
        assert child.poll() is None  # the signal toggled the profile; it did not end the process
    finally:
        child.kill()
        child.wait()

    report = read_report(output)
    assert report.total_seconds > 0.1
    spin = [f for f in report.functions if f.name == "spin_for_profile"]
    assert spin and spin[0].calls > 10 and spin[0].own_seconds > 0
    areas = dict(report.areas)
    # isinstance's time and the generator's belong to the script that called them, not to "builtins"
    assert "builtins" not in areas
    assert report.areas[0][0] == str(script)
    assert areas[str(script)] > 0.8 * report.total_seconds
    assert "spin_for_profile" in report.render()


def test_without_the_variable_nothing_is_installed_and_the_bench_does_not_signal() -> None:
    before = signal.getsignal(signal.SIGUSR2)
    assert install_cpu_profile_toggle("quiet", environ={}) is None
    assert signal.getsignal(signal.SIGUSR2) is before
    assert PROFILE_DIR_VARIABLE not in os.environ
    assert profile_folder_of(os.getpid()) is None  # SIGUSR2 would end such a process: never sent


@pytest.mark.parametrize(
    ("raw", "mode"), [("", ""), ("0", ""), ("1", "wall"), ("wall", "wall"), ("cpu", "cpu"), (" CPU ", "cpu")]
)
def test_bench_profile_modes(raw: str, mode: str) -> None:
    assert BenchSettings.from_environ({"BENCH_PROFILE": raw}).profile == mode


def test_an_unknown_bench_profile_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="BENCH_PROFILE"):
        BenchSettings.from_environ({"BENCH_PROFILE": "flame"})
