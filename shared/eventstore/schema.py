"""The kernel's tables, created in every service's own database.

- `events`: the append-only store. `(stream_id, version)` is unique (optimistic concurrency);
  `transaction_id` (the writing transaction's 64-bit xid) plus `position` give readers an order
  that cannot skip a late-committing transaction (see `positions.py`).
- `streams`: one row per stream with its current version: appends check and bump it in the
  same statement, so a stale expected version is a conflict even when no row would collide.
- `outbox`: integration events waiting for the relay, written in the same transaction.
- `outbox_history`: every outbox row Kafka acknowledged, exactly as published (the relay moves it
  there in the statement that takes it out of `outbox`): what `checkout-admin republish` sends
  again, with the same event ids, keys and envelopes, once Kafka's retention or a lost topic no
  longer holds it.
- `inbox`: `(consumer, event_id)` of every message a consumer has applied.
- `parked_messages`: messages that arrived before what they depend on.
- `snapshots`: the latest snapshot of each snapshotting aggregate (shared/domain/snapshots.py).
- `projection_checkpoints`: how far each projection has read the event store.
- `idempotency_keys`: each `Idempotency-Key` a caller sent to a money-moving route, with the
  request's fingerprint and, once known, the answer to replay (`shared/http/idempotency.py`).

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

CREATE TABLE IF NOT EXISTS outbox_history (
    id            bigint PRIMARY KEY,
    topic         text NOT NULL,
    key           text NOT NULL,
    event_id      uuid NOT NULL,
    payload       bytea NOT NULL,
    headers       jsonb NOT NULL,
    created_at    timestamptz NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS outbox_history_by_key ON outbox_history (key, id);

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

CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL,
    fingerprint  text NOT NULL,
    status       integer,
    answer       bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at);

DROP TRIGGER IF EXISTS events_notify ON events;
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
DROP FUNCTION IF EXISTS notify_channel();
"""

# One unit of work's whole write in one call (see one_statement.py). `w_statements`: the service's
# own index writes (`UnitOfWork.write`), each a constant of its code taking one jsonb array as $1
# (sent as JSON text: a jsonb[] of arrays would reach asyncpg as a two-dimensional array).
# `r_ids`/`r_versions`: streams the unit read from the process's stream cache and did not append to;
# each must still be at that version (stream_cache.py), looked up one by one through the primary key
# (a join would let the plan, cached for the session, scan the whole table while it is small, about
# 0.1-0.3 ms a commit at a few thousand streams). Earlier signatures are dropped: another one would be
# an overload.
KERNEL_COMMIT_DDL = """
DROP FUNCTION IF EXISTS kernel_commit(
    text[], text[], int[], int[], uuid[], text[], int[], jsonb[], jsonb[], timestamptz[],
    text[], int[], int[], jsonb[], text[], text[], uuid[], bytea[], jsonb[], text, uuid[], text[]
);
DROP FUNCTION IF EXISTS kernel_commit(
    text[], text[], int[], int[], uuid[], text[], int[], jsonb[], jsonb[], timestamptz[],
    text[], int[], int[], jsonb[], text[], text[], uuid[], bytea[], jsonb[], text, uuid[], text[],
    text[], text[]
);
CREATE OR REPLACE FUNCTION kernel_commit(
    s_ids text[], s_types text[], s_expected int[], s_counts int[],
    e_ids uuid[], e_types text[], e_versions int[], e_data jsonb[], e_meta jsonb[], e_at timestamptz[],
    n_ids text[], n_versions int[], n_shapes int[], n_states jsonb[],
    o_topics text[], o_keys text[], o_event_ids uuid[], o_payloads bytea[], o_headers jsonb[],
    i_consumer text, i_ids uuid[], i_topics text[],
    w_statements text[], w_args text[],
    r_ids text[], r_versions int[]
) RETURNS TABLE (out_kind text, out_a bigint, out_b bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    i int;
    offs int := 0;
    n int;
    moved text;
BEGIN
    IF coalesce(cardinality(r_ids), 0) > 0 THEN
        SELECT r.id INTO moved FROM unnest(r_ids, r_versions) AS r(id, v)
        WHERE coalesce((SELECT s.version FROM streams AS s WHERE s.stream_id = r.id), 0) <> r.v
        LIMIT 1;
        IF moved IS NOT NULL THEN
            RAISE EXCEPTION 'stream % moved on since it was read from the cache', moved
                USING ERRCODE = '40001', DETAIL = moved;
        END IF;
    END IF;
    IF i_consumer IS NOT NULL AND coalesce(cardinality(i_ids), 0) > 0 THEN
        INSERT INTO inbox (consumer, event_id, topic)
        SELECT i_consumer, x.id, x.topic FROM unnest(i_ids, i_topics) AS x(id, topic)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n <> cardinality(i_ids) THEN
            RAISE EXCEPTION 'inbox: a message was applied meanwhile' USING ERRCODE = '40001';
        END IF;
    END IF;
    FOR i IN 1 .. coalesce(cardinality(s_ids), 0) LOOP
        INSERT INTO streams AS s (stream_id, stream_type, version)
        VALUES (s_ids[i], s_types[i], s_expected[i] + s_counts[i])
        ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version WHERE s.version = s_expected[i];
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n = 0 THEN
            RAISE EXCEPTION 'stream % moved on from version %', s_ids[i], s_expected[i]
                USING ERRCODE = '40001', DETAIL = s_ids[i];
        END IF;
        RETURN QUERY
        INSERT INTO events (stream_id, stream_type, version, event_id, event_type, schema_version,
                            data, metadata, occurred_at)
        SELECT s_ids[i], s_types[i], s_expected[i] + x.ord::int, x.id, x.t, x.v, x.d, x.m, x.at
        FROM unnest(e_ids[offs + 1 : offs + s_counts[i]], e_types[offs + 1 : offs + s_counts[i]],
                    e_versions[offs + 1 : offs + s_counts[i]], e_data[offs + 1 : offs + s_counts[i]],
                    e_meta[offs + 1 : offs + s_counts[i]], e_at[offs + 1 : offs + s_counts[i]])
             WITH ORDINALITY AS x(id, t, v, d, m, at, ord)
        RETURNING 'event'::text, events.transaction_id, events.position;
        offs := offs + s_counts[i];
    END LOOP;
    IF coalesce(cardinality(n_ids), 0) > 0 THEN
        INSERT INTO snapshots AS p (stream_id, version, snapshot_version, state)
        SELECT * FROM unnest(n_ids, n_versions, n_shapes, n_states)
        ON CONFLICT (stream_id) DO UPDATE
            SET version = EXCLUDED.version, snapshot_version = EXCLUDED.snapshot_version,
                state = EXCLUDED.state, taken_at = now()
            WHERE p.version < EXCLUDED.version OR p.snapshot_version <> EXCLUDED.snapshot_version;
    END IF;
    FOR i IN 1 .. coalesce(cardinality(w_statements), 0) LOOP
        EXECUTE w_statements[i] USING w_args[i]::jsonb;
    END LOOP;
    IF coalesce(cardinality(o_topics), 0) > 0 THEN
        RETURN QUERY
        INSERT INTO outbox (topic, key, event_id, payload, headers)
        SELECT * FROM unnest(o_topics, o_keys, o_event_ids, o_payloads, o_headers)
        RETURNING 'outbox'::text, outbox.id, 0::bigint;
    END IF;
END
$fn$;
"""
