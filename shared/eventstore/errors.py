"""Typed errors of the event store."""

from __future__ import annotations


class ConcurrencyError(Exception):
    """Another writer appended to the stream since it was read: reload and retry, or answer 409."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(f"stream {stream_id!r} is no longer at version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version
