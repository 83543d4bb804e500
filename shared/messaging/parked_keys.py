"""Which message keys may have parked messages waiting, known in memory.

A consumer retries a key's parked messages after applying a message of that key. Asking the
database after every message costs a query per message (and keeps batches from being batches), so
the consumer remembers the keys it parked and the keys a sweep found. Until the first sweep has
read the whole table, every key is suspect: another instance may have parked messages before a
rebalance handed its partitions over. A read forgets a key only if no park was begun or in flight
while it read, so a park whose row the read could not yet see is never forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reading:
    """What was true when a read of `parked_messages` began."""

    parks_begun: int
    none_in_flight: bool


@dataclass
class ParkedKeys:
    every_key_suspect: bool = True
    keys: set[str] = field(default_factory=set)
    _begun: int = 0
    _in_flight: int = 0

    def may_hold(self, key: str) -> bool:
        return self.every_key_suspect or key in self.keys

    def begin(self, key: str) -> None:
        """A park of `key` is about to be written."""
        self.keys.add(key)
        self._begun += 1
        self._in_flight += 1

    def end(self) -> None:
        """The park begun last has committed (or given up)."""
        self._in_flight -= 1

    def reading(self) -> Reading:
        return Reading(self._begun, self._in_flight == 0)

    def read(self, reading: Reading, key: str | None, still_parked: set[str]) -> None:
        """A read of every key (`key` None) or of one key, and its retries, are done;
        `still_parked` holds the keys whose messages it left parked."""
        clean = reading.none_in_flight and reading.parks_begun == self._begun
        if key is None:
            if clean:
                self.every_key_suspect = False
                self.keys = set(still_parked)
            else:
                self.keys |= still_parked
        elif key in still_parked:
            self.keys.add(key)
        elif clean:
            self.keys.discard(key)
