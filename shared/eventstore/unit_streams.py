"""One unit of work's dealings with the process's stream cache (`stream_cache.py`).

It answers the unit's loads from the cache when the unit may (one-statement units: their commit
checks every stream they read), remembers which streams it read that way (checked at commit unless
appended to, which states its version anyway), and afterwards gives the cache each stream as the
unit committed it, or forgets every stream the unit touched if it failed.

The same check lets such a unit presume a stream new without reading it (`presume_new`, for the
message that creates it): an empty stream at version 0 is checked, or appended to at version 0, like
a cached one, so a stream that exists fails the commit, and the cache remembers not to presume it
again.
"""

from __future__ import annotations

from typing import Any, TypeVar

from shared.domain.aggregate import Aggregate
from shared.eventstore.store import NewEvent
from shared.eventstore.stream_cache import CachedStream, StreamCache

A = TypeVar("A", bound=Aggregate)


class UnitStreams:
    def __init__(self, cache: StreamCache | None, *, read_from_cache: bool) -> None:
        self._cache = cache
        self._read_from_cache = read_from_cache and cache is not None
        self._bases: dict[str, CachedStream | None] = {}
        """Each tracked stream as loaded (None: not known as committed, so not given back)."""
        self._cached_reads: dict[str, int] = {}
        """Streams answered from the cache, with the version the cache gave."""
        self._appended: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
        self._snapshots: dict[str, tuple[int, dict[str, Any]]] = {}
        self._presumed: set[str] = set()
        """Streams presumed new (`presume_new`) rather than read."""

    @property
    def enabled(self) -> bool:
        return self._cache is not None

    @property
    def read_any_from_cache(self) -> bool:
        return bool(self._cached_reads)

    def lookup(self, cls: type[A], stream_id: str, aggregate_id: str) -> A | None:
        """The aggregate from the cache, if the unit may use it and the cache has it."""
        if not self._read_from_cache:
            return None
        assert self._cache is not None
        cached = self._cache.get(stream_id, cls)
        if cached is None:
            return None
        self._bases[stream_id] = cached
        self._cached_reads[stream_id] = cached.version
        return cached.rebuild(cls, aggregate_id)

    def presume_new(self, cls: type[A], stream_id: str, aggregate_id: str) -> A | None:
        """A new, empty aggregate without a read, if the unit may (its commit checks the stream) and
        the process knows nothing of the stream; None: read it."""
        if not self._read_from_cache:
            return None
        assert self._cache is not None
        if not self._cache.presumable(stream_id):
            return None
        empty = CachedStream.empty(cls)
        self._bases[stream_id] = empty
        self._cached_reads[stream_id] = 0
        self._presumed.add(stream_id)
        return empty.rebuild(cls, aggregate_id)

    def presumed(self, stream_id: str) -> bool:
        return stream_id in self._presumed

    def loaded(self, stream_id: str, stream: CachedStream) -> None:
        """A fresh read: the unit's base for the stream, and what the cache may keep."""
        self._bases[stream_id] = stream
        if self._cache is not None:
            self._cache.put(stream_id, stream)

    def added(self, stream_id: str, aggregate: Aggregate) -> None:
        """An aggregate the unit did not load: a new one starts from an empty stream; one the caller
        already had (as committed) continues the cached stream if the cache holds it at that very
        version, and is otherwise forgotten after the commit (its records are not known here)."""
        if aggregate.version == 0:
            self._bases[stream_id] = CachedStream.empty(type(aggregate))
            return
        kept = None if self._cache is None else self._cache.peek(stream_id)
        fits = kept is not None and kept.version == aggregate.version and kept.fits(type(aggregate))
        self._bases[stream_id] = kept if fits else None

    def appending(self, stream_id: str, events: list[NewEvent]) -> None:
        self._appended.setdefault(stream_id, []).extend(
            (e.event_type, e.schema_version, e.data) for e in events
        )

    def snapshot(self, stream_id: str, version: int, state: dict[str, Any]) -> None:
        self._snapshots[stream_id] = (version, state)

    def to_check(self) -> dict[str, int]:
        """Streams read from the cache and not appended to: the commit checks they did not move."""
        return {s: v for s, v in self._cached_reads.items() if s not in self._appended}

    def committed(self) -> None:
        if self._cache is None:
            return
        for stream_id, base in self._bases.items():
            appended = self._appended.get(stream_id)
            if base is None:
                if appended:
                    self._cache.forget([stream_id])
            elif appended:
                self._cache.put(stream_id, base.extended(appended, self._snapshots.get(stream_id)))
            elif stream_id in self._cached_reads:
                self._cache.put(stream_id, base)  # checked at commit: still the latest

    def failed(self) -> None:
        """The unit did not commit: whatever it read may be stale."""
        if self._cache is not None:
            self._cache.forget(self._bases)
            self._cache.refuted(self._presumed)
