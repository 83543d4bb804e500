"""The errors devstack raises, so callers can tell "a server would not start" from a bug."""

from __future__ import annotations

from pathlib import Path


class DevstackError(RuntimeError):
    """Base class: something about the local development stack is wrong."""


class MissingDependencyError(DevstackError):
    """A system tool (Java, Maven, PostgreSQL) is missing and cannot be installed automatically."""


class ServerStartError(DevstackError):
    """A server did not become ready; the message names it and points at its log."""

    def __init__(self, server: str, log_path: Path | None, reason: str, log_tail: str = "") -> None:
        self.server = server
        self.log_path = log_path
        self.reason = reason
        self.log_tail = log_tail
        lines = [f"{server} failed to start: {reason}"]
        if log_path is not None:
            lines.append(f"  log: {log_path}")
        if log_tail.strip():
            lines.append("  last lines of the log:")
            lines.extend(f"    | {line}" for line in log_tail.rstrip().splitlines())
        super().__init__("\n".join(lines))
