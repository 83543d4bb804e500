"""The ports a kept stack's servers had last time, so ``make start`` gives them back when free.

A database client, a shell that ran ``eval "$(make env)"`` or a Kafka tool pointed at the stack keeps
working across ``make stop``/``make start`` as long as nothing else took the port meanwhile; when
something did, the server gets a fresh port and the new address is printed as always.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from devstack.ports import claim_port, free_port

log = logging.getLogger("devstack")


class RememberedPorts:
    """``ports.json`` in a stack's data folder: ``{"postgres": 25432, ...}``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._previous = _read(path)
        self._current: dict[str, int] = {}

    def port(self, name: str) -> int:
        """Last time's port for ``name`` if free now, else a new free one (remembered by :meth:`save`)."""
        previous = self._previous.get(name)
        if previous is not None and claim_port(previous):
            port = previous
        else:
            port = free_port()
            if previous is not None:
                log.info("%s: port %d of the last run is taken; using %d", name, previous, port)
        self._current[name] = port
        return port

    def save(self) -> None:
        """Remember the ports handed out (and keep those of servers not started this time)."""
        merged = {**self._previous, **self._current}
        if merged == self._previous:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".ports-", suffix=".json")
        with os.fdopen(fd, "w") as handle:
            json.dump(merged, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, self.path)


def _read(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, int) and 0 < v < 65_536}
