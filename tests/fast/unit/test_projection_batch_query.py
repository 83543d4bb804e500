"""The projection runner's BEGIN-lock-and-move query: built from literals, so only a plain
identifier and integers may go into it."""

from __future__ import annotations

import pytest

from shared.eventstore.positions import LOG_START, LogPosition
from shared.projections.runner import _begin_and_move


def test_the_query_moves_the_checkpoint_only_from_where_this_runner_left_it() -> None:
    query = _begin_and_move("orders", LogPosition(3, 4), LogPosition(5, 7))
    assert query.startswith("BEGIN; SELECT pg_advisory_xact_lock(hashtext('projection:orders')); UPDATE")
    assert "SET transaction_id = 5, position = 7," in query
    assert query.endswith("WHERE projection = 'orders' AND transaction_id = 3 AND position = 4")


@pytest.mark.parametrize("name", ["x'; DROP TABLE events; --", "Orders", "orders ", ""])
def test_a_name_that_is_not_a_plain_identifier_never_reaches_sql(name: str) -> None:
    with pytest.raises(ValueError, match="plain lower-case identifier"):
        _begin_and_move(name, LOG_START, LOG_START)
