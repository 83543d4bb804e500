"""TEST HOOK, for crash-safety tests only: die by SIGKILL right after a Stripe call succeeds.

`PAYMENT_FAULT_KILL_AFTER_STRIPE=capture` (a comma-separated list of `create`, `confirm`,
`capture`, `refund`, `cancel`) makes the Stripe adapter kill its own process after Stripe has
answered that call and before the answer is recorded: exactly the crash the service must survive
without charging twice. Read only by the Stripe adapter; unset (the default) it does nothing.
Never set it in production.
"""

from __future__ import annotations

import logging
import os
import signal

FAULT_ENV = "PAYMENT_FAULT_KILL_AFTER_STRIPE"
log = logging.getLogger(__name__)


class KillAfter:
    def __init__(self, operations: frozenset[str] = frozenset()) -> None:
        self.operations = operations

    @classmethod
    def from_environment(cls) -> KillAfter:
        raw = os.environ.get(FAULT_ENV, "")
        return cls(frozenset(part.strip() for part in raw.split(",") if part.strip()))

    def after(self, operation: str) -> None:
        """Called once Stripe answered `operation`, before anything is recorded."""
        if operation in self.operations:
            log.critical("%s: killing the process after Stripe %s", FAULT_ENV, operation)
            logging.shutdown()
            os.kill(os.getpid(), signal.SIGKILL)
