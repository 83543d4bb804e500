"""Tokens already verified, so a request with a token seen before costs a dict lookup, not an HS256 check.

A shopper sends the same Bearer token (and customer token) on every request of a checkout, and an
HS256 decode with pyjwt costs about 54 µs of CPU (../shared/reviews/checkout-cost-2026-12-02.md
§3.2). A `VerifiedTokens` keeps the principals of the last `MAX_VERIFIED_TOKENS` tokens that
verified, least recently used first out. Only successes are kept: a refused token is checked again
every time, so nothing an attacker sends can fill the cache or be accepted from it.

Entries are keyed on (JWT secret, token): the secret is all that verification depends on besides
the token (issuer and algorithm are constants of `signing`), so a token verified under one secret
is never accepted under another. Expiry is checked on every hit against the wall clock pyjwt
checks `exp` against, with the same rule (expired once `exp <= now`) and the same 401, so caching
never lengthens a token's life.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from shared.auth.signing import expired
from shared.settings import ServiceSettings

MAX_VERIFIED_TOKENS = 4096
"""Per kind of token; a few MB at most (a token is about 300 bytes), enough for every live shopper."""


class Expiring(Protocol):
    """A verified principal: the `exp` claim of its token, in epoch seconds."""

    @property
    def expires_at(self) -> int: ...


P = TypeVar("P", bound=Expiring)


class VerifiedTokens(Generic[P]):
    """`verify` with a bounded memory of its successes (see the module doc)."""

    def __init__(
        self,
        verify: Callable[[str, ServiceSettings], P],
        *,
        what: str,
        max_entries: int = MAX_VERIFIED_TOKENS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`what` names the token in the expiry error ("access token"), as `verify` does."""
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.verify = verify
        self.what = what
        self.max_entries = max_entries
        self.clock = clock  # pyjwt reads datetime.now(timezone.utc).timestamp(): the same wall clock
        self._entries: OrderedDict[tuple[str, str], P] = OrderedDict()
        # Handlers may call `optional_customer` from a worker thread; the lock costs ~0.1 µs.
        self._lock = threading.Lock()

    def principal(self, token: str, settings: ServiceSettings) -> P:
        """The principal behind `token`, from memory when it verified before and has not expired."""
        key = (settings.jwt_secret.get_secret_value(), token)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                if cached.expires_at > self.clock():
                    self._entries.move_to_end(key)
                    return cached
                del self._entries[key]
        if cached is not None:
            raise expired(self.what)
        principal = self.verify(token, settings)  # raises the 401 of an expired or invalid token
        with self._lock:
            self._entries[key] = principal
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return principal

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
