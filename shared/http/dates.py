"""The dates and times the API accepts, normalised to UTC where a request is read: one type for all.

Elastic Path documents its dates as "a date and time, or a date" (a promotion's `start`
`2020-01-01`, a time "in the HH:MM format"), and clients send every ISO 8601 form around that.
A time without an offset once reached the domain as a naive datetime, was stored, and then every
comparison with the (aware) clock raised: a 500 on each later request. So every request model takes
its dates as `UtcDateTime` or `UtcDateTimeEnd`, and no naive or non-UTC datetime gets past the edge.

Accepted (anything else is a 400 `format` at the field):
  * a date, `YYYY-MM-DD`;
  * a date-time, `YYYY-MM-DDTHH:MM`, optionally `:SS` and a fraction (`.` or `,`, any digits; finer
    than microseconds is cut, not rounded), `T` also `t` or a space, then an offset: `Z` (or `z`),
    `±HH:MM`, `±HHMM` or `±HH`; no offset means UTC, as Elastic Path's own examples do.
Numbers are refused rather than read as Unix times (pydantic's lax default would make the ISO
basic form `20200101` a moment of August 1970).

A date alone names a whole day in UTC. As a start (`UtcDateTime`) it is 00:00 UTC that day; as an
end (`UtcDateTimeEnd`) it includes that day: until 00:00 UTC the next day, the bound being exclusive
(a promotion ending `2025-06-30` applies all of 30 June UTC, and `start` = `end` = one date is a
one-day promotion). Instants outside the years 0001-9999 once in UTC are refused, not overflowed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

MAX_LENGTH = 64
PATTERN = (
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?"
    r"([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?$"
)
_FORM = re.compile(PATTERN)
FORMS = (
    "an ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS[.fraction]], then Z, ±HH:MM, "
    "±HHMM or ±HH; no offset means UTC)"
)


def _refused(message: str) -> PydanticCustomError:
    return PydanticCustomError("datetime_format", "{message}", {"message": message})


def _zone(written: str | None) -> timezone:
    if written is None or written in ("Z", "z"):
        return UTC
    digits = written[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise _refused(f"The offset {written} is not a valid offset from UTC")
    sign = -1 if written[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _parse(text: str, *, end_of_day: bool) -> datetime:
    form = _FORM.fullmatch(text) if len(text) <= MAX_LENGTH else None
    if form is None:
        raise _refused(f"Must be {FORMS}")
    year, month, day, hour, minute, second, fraction, offset = form.groups()
    zone = _zone(offset)
    try:
        if hour is None:
            midnight = datetime.combine(date(int(year), int(month), int(day)), time(), UTC)
            return midnight + timedelta(days=1) if end_of_day else midnight
        micro = int((fraction or "").ljust(6, "0")[:6])
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, zone
        )
        return moment.astimezone(UTC)
    except OverflowError:
        raise _refused("Must fall within the years 0001 to 9999 in UTC") from None
    except ValueError as exc:  # a day, hour, minute or second out of its range
        raise _refused(f"Is not a valid date and time: {exc}") from None


def _as_utc(value: Any, *, end_of_day: bool) -> datetime:
    if isinstance(value, str):
        return _parse(value, end_of_day=end_of_day)
    if isinstance(value, datetime):  # from Python callers (tests, the admin tool): naive means UTC
        try:
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        except OverflowError:
            raise _refused("Must fall within the years 0001 to 9999 in UTC") from None
    if isinstance(value, date):
        return _parse(value.isoformat(), end_of_day=end_of_day)
    raise PydanticCustomError("datetime_type", "Must be a string: {forms}", {"forms": FORMS})


def utc_start(value: Any) -> datetime:
    """`value` as an aware UTC datetime; a date alone is 00:00 UTC that day."""
    return _as_utc(value, end_of_day=False)


def utc_end(value: Any) -> datetime:
    """`value` as an aware UTC datetime bounding a period; a date alone includes that whole day."""
    return _as_utc(value, end_of_day=True)


def _schema(meaning: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "maxLength": MAX_LENGTH,
            "pattern": PATTERN,
            "description": f"{FORMS[0].upper()}{FORMS[1:]}. {meaning} Answered in UTC (`Z`).",
            "examples": [
                "2025-01-01",
                "2025-01-01T09:30",
                "2025-01-01T09:30:00Z",
                "2025-01-01T09:30:00+02:00",
            ],
        }
    )


UtcDateTime = Annotated[
    datetime, PlainValidator(utc_start), _schema("A date alone means 00:00 UTC that day.")
]
"""A date or date-time from a request, as an aware UTC datetime (a date alone: 00:00 UTC that day)."""

UtcDateTimeEnd = Annotated[
    datetime,
    PlainValidator(utc_end),
    _schema("A date alone includes that whole day: the end is 00:00 UTC the next day (exclusive)."),
]
"""The end of a period from a request, as an aware UTC datetime (a date alone: through that day)."""
