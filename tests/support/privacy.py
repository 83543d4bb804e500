"""Looking for personal data where a stack keeps it: every stored value as text, the sealed values
of one subject cut out of it, and the data keys still alive in the key table (issue 19's tests)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from shared.privacy.key_store import KeyStore
from shared.privacy.master_keys import MasterKeys
from shared.privacy.sealed_text import PREFIX
from tests.e2e.quiescence import database_state
from tests.support.services import RunningService


def stored_texts(value: Any) -> list[str]:
    """A stored value as the texts a byte search reads (bytes as latin-1, so any byte matches)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return [bytes(value).decode("latin-1")]
    if isinstance(value, list | tuple):
        return [t for v in value for t in stored_texts(v)]
    return [str(value)]


async def every_stored_text(services: dict[str, RunningService], keys_dsn: str) -> dict[str, list[str]]:
    """Every value of every row of every table of every service (and of the key table)."""
    found: dict[str, list[str]] = {}
    for name, service in services.items():
        for table, rows in (await database_state(service)).items():
            found[f"{name} {table}"] = [t for row in rows for t in stored_texts(row)]
    conn = await asyncpg.connect(keys_dsn)
    try:
        found["keys pii_keys"] = [
            t for row in await conn.fetch("SELECT * FROM pii_keys") for t in stored_texts(tuple(row))
        ]
    finally:
        await conn.close()
    return found


def sealed_values(texts: dict[str, list[str]], subject: str) -> set[str]:
    """The sealed strings of `subject` (e.g. `order:<id>`), cut out of stored JSON and bytes."""
    marker = f"{PREFIX}{subject}:"
    values = set()
    for blobs in texts.values():
        for blob in blobs:
            start = blob.find(marker)
            while start != -1:
                end = start + len(marker)
                while end < len(blob) and (blob[end].isalnum() or blob[end] in "-_"):
                    end += 1
                values.add(blob[start:end])
                start = blob.find(marker, end)
    return values


async def live_keys(keys_dsn: str, master_key: str, subjects: Iterable[str]) -> dict[str, bytes]:
    """The data keys of `subjects` still in the key table (a destroyed one is absent)."""
    store = KeyStore(keys_dsn, MasterKeys.parse(master_key))
    await store.open()
    try:
        return await store.data_keys(subjects)
    finally:
        await store.close()
