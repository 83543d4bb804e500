"""`0 <= allocated <= total` is checked before every stock movement, as a real check: a movement
that would break it raises `StockLevelsBroken` and records nothing, also under `python -O`,
which strips `assert` statements.

Every command checks what it may move first, so only a stream that a bug (or a hand edit) left
broken reaches the check; the tests build such a stream from its events."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from services.inventory.domain.errors import StockLevelsBroken
from services.inventory.domain.stock import Stock
from tests.inventory.builders import NOW, levels, movements, recorded, stock
from tests.support.services import REPO


def broken_stock() -> Stock:
    """A product whose stream says orders hold 5 of a total of 2."""
    return stock("p1", 2, allocated=5)


def test_a_movement_that_leaves_more_allocated_than_the_total_is_refused_and_records_nothing() -> None:
    s = broken_stock()
    with pytest.raises(StockLevelsBroken) as raised:
        s.release_for("order-1", 1, NOW)  # 4 allocated of 2 would still be broken
    assert (raised.value.status, raised.value.title) == (422, "Cannot complete request")
    assert raised.value.meta == {"id": "p1", "total": 2, "allocated": 4}
    assert recorded(s) == [] and levels(s) == (2, 5, -3)


def test_an_admin_increment_that_leaves_it_broken_is_refused_one_that_mends_it_is_recorded() -> None:
    s = broken_stock()
    with pytest.raises(StockLevelsBroken):
        s.transact("increment", 1, NOW)
    assert recorded(s) == []
    s.transact("increment", 3, NOW)
    assert movements(s) == [("increment", 3, 5, 5, None)] and levels(s) == (5, 5, 0)


_UNDER_O = textwrap.dedent(
    """
    import sys
    from services.inventory.domain.errors import StockLevelsBroken
    from tests.inventory.builders import NOW, stock

    assert False, "asserts run: this is not python -O"  # stripped under -O, as is any assert
    broken = stock("p1", 2, allocated=5)
    try:
        broken.release_for("order-1", 1, NOW)
    except StockLevelsBroken:
        print(f"refused, optimize={sys.flags.optimize}, recorded={len(broken.peek_pending())}")
    else:
        print(f"recorded allocated={broken.allocated} of total={broken.total}")
    """
)


def test_the_check_survives_python_dash_o() -> None:
    result = subprocess.run(
        [sys.executable, "-O", "-c", _UNDER_O], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "refused, optimize=1, recorded=0"
