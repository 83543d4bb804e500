"""Hypothesis strategies for the dates and times a client may send, each with the instant it names.

Elastic Path documents a promotion's `start` and `end` as "a date and time, or a date" (examples
`2020-01-01`, times "in the HH:MM format"), and clients send every ISO 8601 form around that: a date
alone, a time without seconds, fractions of any length, no offset, `Z`, `±HH:MM`, `±HHMM`, `±HH`.
`iso_forms` draws such a text together with what it should mean, computed here independently of
the code under test (integer arithmetic, no datetime parsing), so a property can compare the two.
`wild_values` adds what a client may send instead: near misses, other JSON types, any text.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

MICROSECONDS_PER_DAY = 86_400 * 1_000_000


@dataclass(frozen=True)
class DateForm:
    """A text a client sends, and what it names, in microseconds since 0001-01-01T00:00Z.

    `first` is the instant the text names (for a date alone: 00:00 UTC that day); `whole_day` is
    True for a date alone, whose end as an end bound is 00:00 UTC the next day."""

    text: str
    first: int
    whole_day: bool

    @property
    def last(self) -> int:
        """The instant the text names as an end bound."""
        return self.first + (MICROSECONDS_PER_DAY if self.whole_day else 0)


def _days_before(year: int, month: int, day: int) -> int:
    """Days from 0001-01-01 to the date (proleptic Gregorian), by counting, not by datetime."""
    years = year - 1
    days = years * 365 + years // 4 - years // 100 + years // 400
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    lengths = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return days + sum(lengths[: month - 1]) + day - 1


def _month_length(year: int, month: int) -> int:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


ANY_YEAR = st.one_of(st.integers(1, 9999), st.sampled_from([1, 1970, 2000, 2024, 9999]))


@st.composite
def _calendar_dates(draw: st.DrawFn, years: st.SearchStrategy[int]) -> tuple[int, int, int]:
    year = draw(years)
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, _month_length(year, month)))
    return year, month, day


@st.composite
def _offsets(draw: st.DrawFn) -> tuple[str, int]:
    """An offset as written, and its value in minutes east of UTC ("" means none: UTC)."""
    kind = draw(st.sampled_from(["", "Z", "z", "+HH:MM", "+HHMM", "+HH"]))
    if kind in ("", "Z", "z"):
        return kind, 0
    sign = draw(st.sampled_from(["+", "-"]))
    hours = draw(st.integers(0, 23))
    minutes = 0 if kind == "+HH" else draw(st.integers(0, 59))
    written = f"{sign}{hours:02d}" + {"+HH:MM": f":{minutes:02d}", "+HHMM": f"{minutes:02d}", "+HH": ""}[kind]
    return written, (1 if sign == "+" else -1) * (hours * 60 + minutes)


@st.composite
def iso_forms(draw: st.DrawFn, years: st.SearchStrategy[int] = ANY_YEAR) -> DateForm:
    """A date or date-time in one of the ISO 8601 forms the API accepts, in one of `years`."""
    year, month, day = draw(_calendar_dates(years))
    date_text = f"{year:04d}-{month:02d}-{day:02d}"
    midnight = _days_before(year, month, day) * MICROSECONDS_PER_DAY
    if draw(st.booleans()):
        return DateForm(date_text, midnight, whole_day=True)
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    text = f"{date_text}{draw(st.sampled_from(['T', 't', ' ']))}{hour:02d}:{minute:02d}"
    second, fraction = 0, ""
    if draw(st.booleans()):
        second = draw(st.integers(0, 59))
        text += f":{second:02d}"
        if draw(st.booleans()):
            fraction = draw(st.text(alphabet="0123456789", min_size=1, max_size=9))
            text += draw(st.sampled_from([".", ","])) + fraction
    offset_text, offset_minutes = draw(_offsets())
    micro = int((fraction + "000000")[:6])  # finer than microseconds is cut, never rounded
    local = midnight + ((hour * 60 + minute - offset_minutes) * 60 + second) * 1_000_000 + micro
    return DateForm(text + offset_text, local, whole_day=False)


NEAR_MISSES = [
    "",
    " ",
    "2020",
    "2020-01",
    "20200101",
    "2020-1-1",
    "2020-13-01",
    "2020-02-30",
    "2021-02-29",
    "0000-01-01",
    "2020-01-01T",
    "2020-01-01T10",
    "2020-01-01T24:00",
    "2020-01-01T23:60",
    "2020-01-01T23:59:60",
    "2020-01-01T10:30+24:00",
    "2020-01-01T10:30+05:60",
    "2020-01-01T10:30+5",
    "2020-01-01T10:30:00.",
    "2020-01-01Z",
    "2020-01-01+01:00",
    "2020-W01-1",
    "2020-001",
    "10000-01-01",
    "+2020-01-01",
    "2020-01-01T10:30:00Z\n",
    "\u0662\u0660\u0662\u0660-01-01",  # Arabic-Indic digits
    "now",
    "tomorrow",
]


def wild_values() -> st.SearchStrategy[object]:
    """What a client may send in a date's place: near misses, other JSON values, any text."""
    return st.one_of(
        st.sampled_from(NEAR_MISSES),
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=40),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    )
