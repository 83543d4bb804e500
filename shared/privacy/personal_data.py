"""What services use: seal personal fields for a subject, open them for reading, erase subjects.

Configured by `PII_MASTER_KEY` and `PII_KEYS_DATABASE_URL` (the shared key table). Without them the
service keeps personal fields in clear and says so once at start (tests of other features run so);
every stack the devstack or the containers start sets both.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.privacy.cipher import CannotOpen
from shared.privacy.data_keys import DataKeys
from shared.privacy.key_store import KeyStore
from shared.privacy.master_keys import MasterKeys
from shared.privacy.sealed_text import ANONYMISED, is_sealed, seal, subject_of, unseal

log = logging.getLogger("privacy")


def order_subject(order_id: str) -> str:
    """An order's personal data (its customer's name and email, its addresses) is one subject."""
    return f"order:{order_id}"


def customer_subject(customer_id: str) -> str:
    """A registered customer's personal data (name, email, saved addresses) is one subject, erased
    when the customer is deleted."""
    return f"customer:{customer_id}"


@dataclass(frozen=True)
class Sealer:
    """Seals strings for one subject (identity when privacy is off)."""

    subject: str
    key: bytes | None

    def __call__(self, text: str) -> str:
        return text if self.key is None or is_sealed(text) else seal(self.key, self.subject, text)


@dataclass(frozen=True)
class Opener:
    """Opens sealed strings through the keys it was given; an erased subject's read as `*`."""

    keys: Mapping[str, bytes]

    def erased(self, value: str) -> bool:
        """True if `value` is sealed and its subject's key is gone (or was never known here)."""
        return is_sealed(value) and subject_of(value) not in self.keys

    def __call__(self, value: str) -> str:
        if not is_sealed(value):
            return value
        key = self.keys.get(subject_of(value))
        if key is None:
            return ANONYMISED
        try:
            return unseal(key, value)
        except CannotOpen:
            log.warning("a sealed value of %s does not open with its key", subject_of(value))
            return ANONYMISED


class PersonalData:
    """The service's door to the data keys (None inside when privacy is off): the shared table, or
    an `InMemoryKeyStore` in the fast tier."""

    def __init__(self, store: DataKeys | None, index_key: bytes = b"") -> None:
        self.store = store
        self._index_key = index_key

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> PersonalData:
        env = os.environ if environ is None else environ
        master, dsn = env.get("PII_MASTER_KEY", ""), env.get("PII_KEYS_DATABASE_URL", "")
        if not (master and dsn):
            log.warning("PII_MASTER_KEY or PII_KEYS_DATABASE_URL unset: personal data is kept in clear")
            return cls(None)
        keys = MasterKeys.parse(master)
        index = (
            env.get("PII_INDEX_KEY", "").encode() or hashlib.sha256(b"email index" + keys.current).digest()
        )
        return cls(KeyStore(dsn, keys), index)

    @property
    def enabled(self) -> bool:
        return self.store is not None

    async def open(self) -> None:
        if self.store is not None:
            await self.store.open()

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()

    async def sealer(self, subject: str) -> Sealer:
        """A sealer for `subject`, making its key on first use (SubjectErased once erased)."""
        return Sealer(subject, None if self.store is None else await self.store.data_key(subject))

    async def opener(self, values: Iterable[str]) -> Opener:
        """An opener for these values: one read of the keys their subjects need."""
        if self.store is None:
            return Opener({})
        subjects = {subject_of(v) for v in values if is_sealed(v)}
        return Opener(await self.store.data_keys(subjects) if subjects else {})

    async def erase(self, subjects: Iterable[str]) -> None:
        if self.store is not None:
            await self.store.destroy(subjects)

    def email_index(self, email: str) -> str | None:
        """A keyed hash of an email, so orders can be found by email without it in clear (None
        when privacy is off: then the email itself is the column's value)."""
        if self.store is None:
            return None
        digest = hmac.new(self._index_key, email.strip().lower().encode(), hashlib.sha256).hexdigest()
        return f"idx:{digest}"
