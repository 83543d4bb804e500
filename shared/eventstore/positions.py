"""Log positions that readers can follow without ever skipping an event.

A `bigserial` is assigned when a row is inserted, not when its transaction commits, so a reader
that pages by `position > last_seen` can miss a row whose transaction commits after a later one.
Instead every event row records its writer's 64-bit transaction id, and readers:

- order the log by `(transaction_id, position)`;
- only read rows whose transaction id is below `pg_snapshot_xmin(pg_current_snapshot())`:
  every transaction older than that has finished, so no row can appear behind the reader later.

Writers never wait for each other (unlike a table lock); the cost is that a long-running
transaction holds readers back until it ends.
"""

from __future__ import annotations

from typing import NamedTuple


class LogPosition(NamedTuple):
    """A point in a service's event log; tuples compare in log order."""

    transaction_id: int
    position: int

    def __str__(self) -> str:
        return f"{self.transaction_id}:{self.position}"


LOG_START = LogPosition(0, 0)

# SQL fragment: the oldest transaction still running; every older one has finished.
SNAPSHOT_XMIN = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
# SQL fragment: "this row's transaction has finished for every snapshot taken from now on".
FINISHED_TRANSACTIONS = f"transaction_id < {SNAPSHOT_XMIN}"
