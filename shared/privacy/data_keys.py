"""The data keys as personal data is sealed and opened with them, whatever holds them: the shared
PostgreSQL table (`key_store.KeyStore`, what services run on) or memory (`InMemoryKeyStore`, for the
fast tier). A key is made on first use; destroying a subject leaves a tombstone, so its key is
never made again (`SubjectErased`)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Protocol

from shared.privacy.master_keys import KEY_BYTES


class SubjectErased(LookupError):
    """The subject's key was destroyed: nothing may be sealed for it again."""


class DataKeys(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def data_key(self, subject: str) -> bytes:
        """The subject's key, made on first use; SubjectErased once it was destroyed."""
        ...

    async def data_keys(self, subjects: Iterable[str]) -> dict[str, bytes]:
        """The live keys among `subjects` (a destroyed or unknown one is simply absent)."""
        ...

    async def destroy(self, subjects: Iterable[str]) -> None:
        """Erase the subjects: their keys are gone for every reader (idempotent)."""
        ...


class InMemoryKeyStore:
    """`DataKeys` in a dict: a key per subject, None for a destroyed one (the tombstone)."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes | None] = {}

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def data_key(self, subject: str) -> bytes:
        key = self.keys.setdefault(subject, secrets.token_bytes(KEY_BYTES))
        if key is None:
            raise SubjectErased(subject)
        return key

    async def data_keys(self, subjects: Iterable[str]) -> dict[str, bytes]:
        return {s: key for s in set(subjects) if (key := self.keys.get(s)) is not None}

    async def destroy(self, subjects: Iterable[str]) -> None:
        for subject in subjects:
            self.keys[subject] = None
