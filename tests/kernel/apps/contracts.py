"""Integration events used only by the kernel's tests (registered in the shared catalogue)."""

from __future__ import annotations

from shared.contracts.integration_event import CONTRACTS, IntegrationEvent


@CONTRACTS.register
class ProbeCredited(IntegrationEvent):
    """Service A credited a probe account; service B keeps the ledger."""

    aggregate_type = "probe-account"

    account_id: str
    amount: int
    crash_after_commit: bool = False
    fail: bool = False
