"""Which read models the inventory runs: those something reads under its policy."""

from __future__ import annotations

from services.inventory.bootstrap import build_runtime
from services.inventory.domain.policy import AllocationPolicy
from services.inventory.settings import Settings

UNUSED = {"database_url": "postgresql://unused/x", "kafka_bootstrap_servers": "unused:9092"}


def projections(policy: AllocationPolicy) -> list[str]:
    runtime = build_runtime(Settings(inventory_policy=policy, **UNUSED))
    return [projection.name for projection in runtime.projection_definitions]


def test_the_reservations_model_runs_only_where_the_expiry_sweep_reads_it():
    # Allocating at payment nothing is reserved at checkout and no sweep runs: the model would
    # only fold every allocation into an empty table.
    assert projections(AllocationPolicy.ALLOCATE_ON_PAYMENT) == ["stock"]
    assert projections(AllocationPolicy.RESERVE_ON_CHECKOUT) == ["stock", "reservations"]
