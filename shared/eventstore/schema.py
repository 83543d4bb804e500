"""The kernel's tables, created in every service's own database.

- `events`: the append-only store. `(stream_id, version)` is unique (optimistic concurrency);
  `transaction_id` (the writing transaction's 64-bit xid) plus `position` give readers an order
  that cannot skip a late-committing transaction (see `positions.py`).
- `streams`: one row per stream with its current version: appends check and bump it in the
  same statement, so a stale expected version is a conflict even when no row would collide.
- `outbox`: integration events waiting for the relay, written in the same transaction.
- `inbox`: `(consumer, event_id)` of every message a consumer has applied.
- `parked_messages`: messages that arrived before what they depend on.
- `snapshots`: the latest snapshot of each snapshotting aggregate (shared/domain/snapshots.py).
- `projection_checkpoints`: how far each projection has read the event store.

No NOTIFY: a NOTIFYing commit holds a server-wide lock through its WAL flush, a wall once commits
are durable. Readers in the writing process are woken after commit (`commit_signals.py`); the
triggers older versions created are dropped.
"""

KERNEL_SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (
    stream_id   text PRIMARY KEY,
    stream_type text NOT NULL,
    version     integer NOT NULL CHECK (version > 0)
);

CREATE TABLE IF NOT EXISTS events (
    position        bigserial PRIMARY KEY,
    transaction_id  bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    stream_id       text NOT NULL,
    stream_type     text NOT NULL,
    version         integer NOT NULL,
    event_id        uuid NOT NULL UNIQUE,
    event_type      text NOT NULL,
    schema_version  integer NOT NULL,
    data            jsonb NOT NULL,
    metadata        jsonb NOT NULL,
    occurred_at     timestamptz NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE INDEX IF NOT EXISTS events_log_order ON events (transaction_id, position);

CREATE TABLE IF NOT EXISTS outbox (
    id          bigserial PRIMARY KEY,
    topic       text NOT NULL,
    key         text NOT NULL,
    event_id    uuid NOT NULL,
    payload     bytea NOT NULL,
    headers     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS inbox (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    topic        text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE IF NOT EXISTS parked_messages (
    id         bigserial PRIMARY KEY,
    consumer   text NOT NULL,
    key        text NOT NULL,
    event_id   uuid NOT NULL,
    topic      text NOT NULL,
    payload    bytea NOT NULL,
    reason     text NOT NULL,
    parked_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (consumer, event_id)
);
CREATE INDEX IF NOT EXISTS parked_by_key ON parked_messages (consumer, key, id);

CREATE TABLE IF NOT EXISTS snapshots (
    stream_id         text PRIMARY KEY,
    version           integer NOT NULL,
    snapshot_version  integer NOT NULL,
    state             jsonb NOT NULL,
    taken_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS projection_checkpoints (
    projection      text PRIMARY KEY,
    transaction_id  bigint NOT NULL,
    position        bigint NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- The shape of the tables the checkpoint's rows were written in (Projection.shape); '' before it existed.
ALTER TABLE projection_checkpoints ADD COLUMN IF NOT EXISTS shape text NOT NULL DEFAULT '';

DROP TRIGGER IF EXISTS events_notify ON events;
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
DROP FUNCTION IF EXISTS notify_channel();
"""
