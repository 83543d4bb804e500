"""The `snapshots` table: the latest snapshot of each snapshotting aggregate's stream (read with the
events after it in one statement: `EventStore.read_from_snapshot`)."""

from __future__ import annotations

from typing import Any, NamedTuple

from shared.eventstore.database import Executor

# Only ever forward: a snapshot is never replaced by an older one.
_SAVE = """
INSERT INTO snapshots (stream_id, version, snapshot_version, state) VALUES ($1, $2, $3, $4)
ON CONFLICT (stream_id) DO UPDATE
    SET version = EXCLUDED.version, snapshot_version = EXCLUDED.snapshot_version,
        state = EXCLUDED.state, taken_at = now()
    WHERE snapshots.version < EXCLUDED.version OR snapshots.snapshot_version <> EXCLUDED.snapshot_version
"""


class Snapshot(NamedTuple):
    version: int
    state: dict[str, Any]


async def save_snapshot(
    db: Executor, stream_id: str, version: int, snapshot_version: int, state: dict[str, Any]
) -> None:
    await db.execute(_SAVE, stream_id, version, snapshot_version, state)
