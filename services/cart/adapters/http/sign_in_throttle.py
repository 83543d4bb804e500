"""At most a few password sign-ins per email and minute, so a botnet cannot guess one account's password.

The gateway limits each client address (nginx `limit_req`), which cannot stop many addresses taking
turns at one account. This limit is per email, and lives here rather than in nginx because only the
service reads the email the way sign-in does: parsed from JSON (escapes, duplicate or ignored
members), stripped and lower-cased. A regex in nginx would count `Ann@x.io`, `ann@x.io ` and
`"\\u0061nn@x.io"` as three emails, one account.

A token bucket per email: `attempts` at once, then one more every `per_seconds / attempts` seconds;
counted whether the email exists or not (so the limit says nothing about which do), and whether the
password was right or not (it is checked after). Kept in memory, per cart instance, for at most
`max_tracked` emails: the least recently tried is forgotten first (a full bucket is the same as none).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from shared.http.errors import ApiError

DEFAULT_ATTEMPTS = 5
DEFAULT_PER_SECONDS = 60.0
DEFAULT_MAX_TRACKED = 100_000


class SignInThrottle:
    def __init__(
        self,
        attempts: int = DEFAULT_ATTEMPTS,
        per_seconds: float = DEFAULT_PER_SECONDS,
        max_tracked: int = DEFAULT_MAX_TRACKED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = float(attempts)
        self._refill_per_second = attempts / per_seconds
        self._max_tracked = max_tracked
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # email -> (tokens, at)

    def attempt(self, email: str) -> None:
        """Count one sign-in attempt for `email`, or refuse it: 429 with `Retry-After`."""
        key = email.strip().lower()
        now = self._clock()
        tokens, at = self._buckets.pop(key, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - at) * self._refill_per_second)
        if tokens < 1:
            self._remember(key, tokens, now)
            wait = math.ceil((1 - tokens) / self._refill_per_second)
            raise ApiError(
                429,
                "Too Many Requests",
                f"Too many sign-in attempts for this email; retry in {wait} s",
                source="data.email",
                headers={"Retry-After": str(wait)},
            )
        self._remember(key, tokens - 1, now)

    def _remember(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max_tracked:
            self._buckets.popitem(last=False)
