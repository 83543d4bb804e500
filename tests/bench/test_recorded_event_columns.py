"""The event store builds RecordedEvent positionally from `_COLUMNS` (a bench-driven speed-up): the
selected columns must stay in the dataclass's field order, or every read would silently mix fields."""

from __future__ import annotations

import dataclasses

from shared.eventstore.store import _COLUMNS, RecordedEvent


def test_selected_columns_follow_the_recorded_event_fields() -> None:
    columns = [c.strip() for c in _COLUMNS.split(",")]
    assert columns == [f.name for f in dataclasses.fields(RecordedEvent)]
