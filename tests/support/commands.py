"""The repository's own commands (`python -m devstack`, `python -m demo`, ...) run as a developer runs
them: from the repository's root, in an environment the test chose, their output kept for its
assertions. A test that starts a stack of its own starts it where nothing leads it to the session's
servers or to a developer's running stack."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_module(
    module: str, *args: str, env: Mapping[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m <module> <args>` from the repository's root; what it printed, and how it ended."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=dict(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def environment_without(*cleared: str) -> dict[str, str]:
    """This process's environment less the variables `cleared` and whatever would point a new stack at
    an existing one or change how it runs (every `*_DATABASE_URL`, the devstack's `DEVSTACK_*`
    switches, make's `MAKE*` and `MFLAGS`, `CHECKOUT_USE_TESTCONTAINERS`), the repository importable."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in cleared
        and not k.endswith("_DATABASE_URL")
        and not k.startswith(("DEVSTACK_", "MAKE"))
        and k not in ("MFLAGS", "CHECKOUT_USE_TESTCONTAINERS")
    }
    env["PYTHONPATH"] = str(REPO)
    return env
