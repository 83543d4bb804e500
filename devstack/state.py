"""``.devstack/state.json``: what a detached stack runs, so ``stop`` and ``status`` can find it later.

It records each process by pid *and* kernel start time (a recycled pid is never signalled), the
endpoints to print, where the data and logs are, and throwaway folders to delete on ``stop`` (never
the kept data folder). Written atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.processes import ProcessRecord

STATE_FILE = "state.json"
_REPO_ROOT = Path(__file__).resolve().parent.parent


def devstack_home() -> Path:
    """``$DEVSTACK_DIR``, else ``.devstack`` in the repository root: the state file, the logs, and the
    data unless ``$DEVSTACK_DATA_DIR`` puts it elsewhere (:mod:`devstack.data_dir`)."""
    override = os.environ.get("DEVSTACK_DIR")
    return Path(override).expanduser().resolve() if override else _REPO_ROOT / ".devstack"


@dataclass
class StackState:
    """A started stack, as the state file holds it."""

    env: dict[str, str]
    apps: list[ProcessRecord] = field(default_factory=list)
    servers: list[ProcessRecord] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)
    mode: str = "detached"
    owner_pid: int | None = None
    started_at: str = ""
    urls: dict[str, str] = field(default_factory=dict)
    """Base URL of each service and of the gateway (for ``status``: ``/metrics``, ``/ready``)."""
    data_dir: str = ""
    """The data folder kept across runs ("" for a throwaway stack)."""
    log_dir: str = ""
    """The folder of every process's log."""

    def records(self) -> list[ProcessRecord]:
        """Every process, the platform's first."""
        return [*self.apps, *self.servers]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "env": self.env,
            "apps": [r.to_json() for r in self.apps],
            "servers": [r.to_json() for r in self.servers],
            "cleanup": self.cleanup,
            "mode": self.mode,
            "owner_pid": self.owner_pid,
            "started_at": self.started_at,
            "urls": self.urls,
            "data_dir": self.data_dir,
            "log_dir": self.log_dir,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StackState:
        """Inverse of :meth:`to_json`."""
        return cls(
            env={str(k): str(v) for k, v in data.get("env", {}).items()},
            apps=[ProcessRecord.from_json(r) for r in data.get("apps", [])],
            servers=[ProcessRecord.from_json(r) for r in data.get("servers", [])],
            cleanup=[str(p) for p in data.get("cleanup", [])],
            mode=str(data.get("mode", "detached")),
            owner_pid=data.get("owner_pid"),
            started_at=str(data.get("started_at", "")),
            urls={str(k): str(v) for k, v in data.get("urls", {}).items()},
            data_dir=str(data.get("data_dir", "")),
            log_dir=str(data.get("log_dir", "")),
        )


def read_state(home: Path) -> StackState | None:
    """The recorded stack, or None if there is none (or the file is unreadable)."""
    try:
        data = json.loads((home / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return StackState.from_json(data) if isinstance(data, dict) else None


def write_state(home: Path, state: StackState) -> Path:
    """Write the state file atomically; return its path."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / STATE_FILE
    fd, tmp = tempfile.mkstemp(dir=home, prefix=".state-", suffix=".json")
    with os.fdopen(fd, "w") as handle:
        json.dump(state.to_json(), handle, indent=2)
        handle.write("\n")
    os.replace(tmp, target)
    return target


def clear_state(home: Path) -> None:
    """Forget the recorded stack."""
    (home / STATE_FILE).unlink(missing_ok=True)
