"""The stack `make start` runs on this machine, found through the state file it writes.

`make start` records the stack's endpoints (`DATABASE_URL`, `KAFKA_BOOTSTRAP_SERVERS`, ...) and
its processes in `.devstack/state.json` (`$DEVSTACK_DIR`). The tool takes the endpoints from there
when the environment does not name them, but only while a process of that stack still runs: the
file of a stack that died names ports nobody answers on, or somebody else's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devstack.state import STATE_FILE, devstack_home, read_state


@dataclass(frozen=True)
class LocalStack:
    """What the state file says, and whether the stack it describes runs."""

    state_file: Path
    env: Mapping[str, str] | None
    """The running stack's environment; None when there is none (see `why_not`)."""
    why_not: str = ""

    @property
    def running(self) -> bool:
        return self.env is not None


def find_local_stack(home: Path | None = None) -> LocalStack:
    """The stack recorded under `home` (default: `$DEVSTACK_DIR` or the repository's `.devstack`)."""
    state_file = (home or devstack_home()) / STATE_FILE
    state = read_state(state_file.parent)
    if state is None:
        return LocalStack(state_file, None, f"no {state_file}")
    if not any(record.is_alive() for record in state.records()):
        return LocalStack(state_file, None, f"the stack {state_file} records has stopped")
    return LocalStack(state_file, dict(state.env))
