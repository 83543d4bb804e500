"""The stack to measure: the running one (`make start`) if there is one, else one started for the run.

Starting goes through `python -m devstack start --throwaway`: what `make start` does, but on data of
its own (an empty store, deleted on stop), never the kept data of the developer's stack. A stack we
started is stopped with `python -m devstack stop` when the run ends, even when it fails.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
from collections.abc import Iterator

from devstack.errors import DevstackError
from devstack.state import StackState, devstack_home, read_state

log = logging.getLogger("bench")


def running_stack() -> StackState | None:
    """The recorded stack if every one of its processes is alive and it has a gateway."""
    state = read_state(devstack_home())
    if state is None or not state.apps or "EP_URL" not in state.env:
        return None
    return state if all(r.is_alive() for r in state.records()) else None


def _devstack(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "devstack", *args], check=True, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def stack_for_bench() -> Iterator[StackState]:
    """Yield the running stack, or start one (and stop it afterwards)."""
    state = running_stack()
    if state is not None:
        log.info("using the running stack at %s", state.env["EP_URL"])
        yield state
        return
    log.info("no stack is running: starting one on throwaway data (python -m devstack start --throwaway)")
    # Refuses a half-dead stack it did not start, and cleans up after its own failure.
    _devstack("start", "--throwaway")
    try:
        state = running_stack()
        if state is None:
            raise DevstackError("python -m devstack start returned, but no running stack is recorded")
        yield state
    finally:
        log.info("stopping the stack the benchmark started")
        _devstack("stop")
