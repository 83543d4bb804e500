"""The rebuild's garbage-collector setting lasts only as long as the rebuild; a service settles its
heap once, before serving."""

from __future__ import annotations

import gc

import pytest

from shared.relaxed_gc import SERVICE_YOUNG_THRESHOLD, YOUNG_THRESHOLD, relaxed_gc, settle_service_heap


def test_the_thresholds_are_raised_inside_and_restored_after_even_on_error():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), relaxed_gc():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        raise RuntimeError("the rebuild failed")
    assert gc.get_threshold() == before


def test_a_service_freezes_what_it_built_and_collects_the_young_less_often():
    before = gc.get_threshold()
    try:
        settle_service_heap()
        assert gc.get_threshold() == (SERVICE_YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
