"""The rebuild's garbage-collector setting lasts only as long as the rebuild."""

from __future__ import annotations

import gc

import pytest

from shared.relaxed_gc import YOUNG_THRESHOLD, relaxed_gc


def test_the_thresholds_are_raised_inside_and_restored_after_even_on_error():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), relaxed_gc():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        raise RuntimeError("the rebuild failed")
    assert gc.get_threshold() == before
