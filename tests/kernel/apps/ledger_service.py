"""A minimal "service B" for the kernel's cross-process tests: a ledger fed by `ProbeCredited`.

Run as `python -m tests.kernel.apps.ledger_service` with DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS,
TOPIC_PREFIX and CRASH_MARKER set. A credit flagged `crash_after_commit` makes the process kill
itself with SIGKILL right after its database transaction commits and before Kafka hears of it,
once (the marker file remembers it happened).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import ClassVar

from shared.contracts.envelope import Envelope
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.eventstore.port import UnitOfWork
from shared.messaging.consumer import EventConsumer
from shared.runtime import ServiceRuntime
from tests.kernel.apps.contracts import ProbeCredited

LEDGER_EVENTS = EventRegistry("ledger")


@LEDGER_EVENTS.register
class AccountCredited(VersionedEvent):
    amount: int
    credit_id: str


class Account(Aggregate):
    stream_type = "account"
    registry: ClassVar[EventRegistry] = LEDGER_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.balance = 0

    def credit(self, amount: int, credit_id: str) -> None:
        if amount <= 0:
            raise ValueError("credits must be positive")
        self._record(AccountCredited(amount=amount, credit_id=credit_id))

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case AccountCredited(amount=amount):
                self.balance += amount


ledger = EventConsumer("kernel-ledger", max_attempts=2, retry_delay=0.01)


@ledger.handles(ProbeCredited)
async def credit_account(event: ProbeCredited, envelope: Envelope, uow: UnitOfWork) -> None:
    if event.fail:
        raise RuntimeError("this credit is poison")
    account = await uow.load(Account, event.account_id)
    account.credit(event.amount, str(envelope.event_id))
    marker = Path(os.environ["CRASH_MARKER"])
    if event.crash_after_commit and not marker.exists():  # noqa: ASYNC240 (a test's one-off check)

        def die() -> None:
            marker.write_text(str(envelope.event_id))
            os.kill(os.getpid(), signal.SIGKILL)

        uow.after_commit(die)


async def main() -> None:
    runtime = ServiceRuntime(
        "kernel-ledger",
        database_url=os.environ["DATABASE_URL"],
        kafka_bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        topic_prefix=os.environ.get("TOPIC_PREFIX", ""),
        consumers=[ledger],
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with runtime:
        print("ready", flush=True)
        sys.stdout.flush()
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
