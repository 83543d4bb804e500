"""PostgreSQL from the system binaries: the session server, and a private one for restarts and crashes."""

from __future__ import annotations

import json

import asyncpg

from devstack.databases import PostgresHandle
from devstack.postgres import (
    DURABLE_SETTINGS,
    LZ4_SETTINGS,
    PostgresServer,
    compression_settings,
    find_bindir,
)


async def test_session_server_creates_databases(postgres: PostgresHandle):
    await postgres.create_database("devstack_cart")
    await postgres.create_database("devstack_cart")  # idempotent
    assert postgres.dsn("devstack_cart").endswith("/devstack_cart")
    conn = await asyncpg.connect(postgres.dsn("devstack_cart"))
    try:
        assert await conn.fetchval("SELECT current_database()") == "devstack_cart"
    finally:
        await conn.close()


async def test_large_values_are_compressed_with_lz4_where_the_server_has_it(postgres: PostgresHandle):
    """A checked-out cart's event is 2-3 KB of JSON: stored compressed, with lz4 when the build has it
    (several times cheaper than pglz), else with the server's default."""
    bindir = find_bindir()
    assert bindir is not None
    built_with_lz4 = compression_settings(bindir) == LZ4_SETTINGS
    await postgres.create_database("devstack_compression")
    conn = await asyncpg.connect(postgres.dsn("devstack_compression"))
    try:
        await conn.execute("CREATE TABLE e (data jsonb NOT NULL)")
        cart = {"items": [{"sku": f"sku-{n}", "name": "Deck Shoe", "quantity": n} for n in range(60)]}
        await conn.execute("INSERT INTO e VALUES ($1::jsonb)", json.dumps(cart))
        method = await conn.fetchval("SELECT pg_column_compression(data) FROM e")
        assert method == ("lz4" if built_with_lz4 else "pglz")
        assert await conn.fetchval("SHOW wal_compression") == ("lz4" if built_with_lz4 else "on")
    finally:
        await conn.close()


async def test_restart_and_crash_keep_committed_data(tmp_path):
    # With the default synchronous_commit=off a kill -9 may lose the last commits; see DURABLE_SETTINGS.
    server = PostgresServer(tmp_path / "pg", settings=DURABLE_SETTINGS)
    try:
        await server.start()
        assert server.dsn("orders") == f"postgresql://postgres@127.0.0.1:{server.port}/orders"
        await server.create_database("orders")
        conn = await asyncpg.connect(server.dsn("orders"))
        await conn.execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
        await conn.close()

        port = server.port
        await server.restart()
        assert server.port == port
        conn = await asyncpg.connect(server.dsn("orders"))
        assert await conn.fetchval("SELECT count(*) FROM t") == 1
        await conn.execute("INSERT INTO t VALUES (2)")
        await conn.close()

        server.kill()  # kill -9: the server recovers from its WAL on the next start
        assert not server.process.is_running()
        await server.start()
        conn = await asyncpg.connect(server.dsn("orders"))
        assert await conn.fetchval("SELECT count(*) FROM t") == 2
        await conn.close()
    finally:
        server.destroy()
    assert not server.process.is_running()
