"""`checkout-admin privacy rotate`: rewrap every personal-data key under the current master key.

Reads `PII_MASTER_KEY` (the new key first, the old ones after it) and `PII_KEYS_DATABASE_URL`, the
variables the services read. Only the key table changes, never an event; once it reports nothing
left to rewrap, the old master keys can be dropped from `PII_MASTER_KEY`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping

from shared.privacy.key_store import KeyStore
from shared.privacy.master_keys import MasterKeyError, MasterKeys


async def _rotate(master: MasterKeys, dsn: str) -> int:
    store = KeyStore(dsn, master)
    await store.open()
    try:
        return await store.rotate()
    finally:
        await store.close()


def rotate(environ: Mapping[str, str] | None = None) -> int:
    """The command's exit status (1, with the reason, when a variable is missing or malformed)."""
    env = os.environ if environ is None else environ
    master, dsn = env.get("PII_MASTER_KEY", ""), env.get("PII_KEYS_DATABASE_URL", "")
    if not (master and dsn):
        print(
            "checkout-admin: privacy rotate needs PII_MASTER_KEY and PII_KEYS_DATABASE_URL", file=sys.stderr
        )
        return 1
    try:
        keys = MasterKeys.parse(master)
    except MasterKeyError as exc:
        print(f"checkout-admin: {exc}", file=sys.stderr)
        return 1
    rewrapped = asyncio.run(_rotate(keys, dsn))
    print(f"rewrapped {rewrapped} keys under master key {keys.current_id}")
    return 0
