"""TEST HOOK, for crash-safety tests only: die by SIGKILL after the effect, before its answer is kept.

`IDEMPOTENCY_FAULT_KILL_BEFORE_ANSWER=1` makes `shared.http.idempotency.answer_once` kill its own
process once a keyed operation has done its work and before its answer is kept and sent: the
crash "between the effect and the answer" a retry with the same key must survive. Unset (the
default) it does nothing. Never set it in production.
"""

from __future__ import annotations

import logging
import os
import signal

FAULT_ENV = "IDEMPOTENCY_FAULT_KILL_BEFORE_ANSWER"
log = logging.getLogger(__name__)


def kill_before_answer() -> None:
    if os.environ.get(FAULT_ENV, "") in ("", "0"):
        return
    log.critical("%s: killing the process before the answer is kept", FAULT_ENV)
    logging.shutdown()
    os.kill(os.getpid(), signal.SIGKILL)
