"""The master keys that wrap every data key, from `PII_MASTER_KEY`.

`PII_MASTER_KEY` is `id:base64url-key[,id:base64url-key...]`: the first wraps new data keys, the
others only unwrap keys wrapped before a rotation (`checkout-admin privacy rotate` rewraps those
rows, never an event), so a master key can be retired without touching the log.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

KEY_BYTES = 32


class MasterKeyError(ValueError):
    """`PII_MASTER_KEY` is malformed, or a wrapped key names a master key nobody configured."""


def new_master_key(key_id: str = "k1") -> str:
    """A fresh `PII_MASTER_KEY` value: one random 256-bit key under `key_id`."""
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


@dataclass(frozen=True)
class MasterKeys:
    """The current master key (`current_id`) and every older one still able to unwrap."""

    keys: dict[str, bytes]
    current_id: str

    def __repr__(self) -> str:
        return f"MasterKeys(current={self.current_id!r}, known={sorted(self.keys)!r})"

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise MasterKeyError(f"no master key {key_id!r} in PII_MASTER_KEY") from None

    def keys_as_env(self, *key_ids: str) -> str:
        """A `PII_MASTER_KEY` value holding only `key_ids` (the first current): to retire the rest."""
        return ",".join(f"{k}:{base64.urlsafe_b64encode(self.key(k)).decode()}" for k in key_ids)

    @classmethod
    def parse(cls, value: str) -> MasterKeys:
        """Read `id:key[,id:key...]` (see the module doc)."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            key_id, sep, encoded = part.partition(":")
            if not sep or not key_id:
                raise MasterKeyError("PII_MASTER_KEY entries are `id:base64url-key`")
            try:
                key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except ValueError:
                raise MasterKeyError(f"PII_MASTER_KEY {key_id!r} is not base64url") from None
            if len(key) != KEY_BYTES:
                raise MasterKeyError(f"PII_MASTER_KEY {key_id!r} must be {KEY_BYTES} bytes")
            if key_id in keys:
                raise MasterKeyError(f"PII_MASTER_KEY names {key_id!r} twice")
            keys[key_id] = key
            order.append(key_id)
        if not order:
            raise MasterKeyError("PII_MASTER_KEY holds no key")
        return cls(keys=keys, current_id=order[0])
