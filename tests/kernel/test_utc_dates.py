"""The one date type every request model uses (shared/http/dates.py), checked property by property.

Each generated form (tests/support/date_forms.py) comes with the instant it names, computed there
by counting days and minutes, not by parsing; the type must give exactly that instant, aware and in
UTC, or refuse the text as pydantic refuses (a 400 at the field) when the instant falls outside the
years 0001-9999. Any other value is refused the same way: nothing a client sends raises anything
else (which the service would answer with a 500), and nothing naive gets through.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from checkout_admin.registry import SERVICES
from checkout_admin.schemas import service_app
from shared.http.body import validate
from shared.http.dates import UtcDateTime, UtcDateTimeEnd
from shared.http.errors import ApiError
from tests.support.date_forms import MICROSECONDS_PER_DAY, NEAR_MISSES, DateForm, iso_forms, wild_values

EPOCH = datetime(1, 1, 1, tzinfo=UTC)
LAST_INSTANT = (date(9999, 12, 31).toordinal() * MICROSECONDS_PER_DAY) - 1


class Period(BaseModel):
    start: UtcDateTime
    end: UtcDateTimeEnd


def micros(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def in_utc(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() == timedelta(0)


@settings(max_examples=2000, deadline=None, database=None)
@given(form=iso_forms())
def test_every_accepted_form_names_its_instant_in_utc_or_is_refused_out_of_range(form: DateForm):
    for bound, expected in (("start", form.first), ("end", form.last)):
        other = "end" if bound == "start" else "start"
        payload = {bound: form.text, other: "2000-01-01T00:00:00Z"}
        if 0 <= expected <= LAST_INSTANT:
            moment = getattr(Period.model_validate(payload), bound)
            assert in_utc(moment) and micros(moment) == expected, (form, bound, moment)
        else:
            with pytest.raises(ValidationError) as refused:
                Period.model_validate(payload)
            assert [error["loc"] for error in refused.value.errors()] == [(bound,)]


@settings(max_examples=1000, deadline=None, database=None)
@given(start=st.one_of(iso_forms(), wild_values()), end=st.one_of(iso_forms(), wild_values()))
def test_anything_a_client_sends_is_utc_or_a_400_at_the_field(start: object, end: object):
    body = {
        "start": start.text if isinstance(start, DateForm) else start,
        "end": end.text if isinstance(end, DateForm) else end,
    }
    try:
        period = validate(Period, body)
    except ApiError as exc:
        assert exc.status == 400
        errors = exc.body()["errors"]
        assert errors and {e["source"] for e in errors} <= {"data.start", "data.end"}
        assert {e["title"] for e in errors} <= {"format", "type"}
        return
    assert in_utc(period.start) and in_utc(period.end)


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_are_refused(text: str):
    with pytest.raises(ValidationError):
        Period.model_validate({"start": text, "end": "2000-01-01"})
    with pytest.raises(ValidationError):
        Period.model_validate({"start": "2000-01-01", "end": text})


@pytest.mark.parametrize("number", [20200101, 1577836800, 1577836800.5, True])
def test_numbers_are_not_read_as_unix_times(number: object):
    """pydantic's lax datetime reads numbers (and "20200101") as Unix times: a date in 1970."""
    with pytest.raises(ValidationError) as refused:
        Period.model_validate({"start": number, "end": "2000-01-01"})
    assert refused.value.errors()[0]["type"] == "datetime_type"


def test_a_date_alone_is_the_start_of_that_day_as_a_start_and_the_whole_day_as_an_end():
    period = Period.model_validate({"start": "2025-06-30", "end": "2025-06-30"})
    assert period.start == datetime(2025, 6, 30, tzinfo=UTC)
    assert period.end == datetime(2025, 7, 1, tzinfo=UTC)


def test_python_callers_get_the_same_rule_naive_means_utc():
    naive = datetime(2025, 1, 1, 12, 0)
    east = datetime(2025, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    period = Period.model_validate({"start": naive, "end": east})
    assert (period.start, period.end) == (naive.replace(tzinfo=UTC), datetime(2025, 1, 1, 10, 0, tzinfo=UTC))
    assert in_utc(period.start) and in_utc(period.end)
    assert Period.model_validate({"start": date(2025, 1, 1), "end": date(2025, 1, 1)}).end == datetime(
        2025, 1, 2, tzinfo=UTC
    )


def test_the_documented_schema_says_what_is_accepted_and_what_a_date_alone_means():
    schema = Period.model_json_schema()["properties"]
    assert schema["start"]["type"] == schema["end"]["type"] == "string"
    assert "00:00 UTC that day" in schema["start"]["description"]
    assert "00:00 UTC the next day" in schema["end"]["description"]


def _request_schemas(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every schema a request of `document` may carry (bodies and parameters, `$ref`s followed),
    each with where it was found."""
    components = document.get("components", {}).get("schemas", {})
    found: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    pending: list[tuple[str, Any]] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict):
                where = f"{method.upper()} {path}"
                pending.append((where, operation.get("requestBody", {})))
                pending.extend((where, parameter) for parameter in operation.get("parameters", []))
    while pending:
        where, node = pending.pop()
        if isinstance(node, list):
            pending.extend((where, child) for child in node)
        elif isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference not in seen:
                seen.add(reference)
                pending.append((reference, components.get(reference.rsplit("/", 1)[-1], {})))
            found.append((where, node))
            pending.extend((where, child) for key, child in node.items() if key != "examples")
    return found


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_no_request_of_any_service_takes_a_date_past_the_shared_type(service: str):
    """A request model's plain `datetime` or `date` field is pydantic's `format: date-time`/`date`:
    it would let a naive time through (or read a number as a Unix time). Every date a request
    carries is `UtcDateTime` or `UtcDateTimeEnd`, whose documented schema is the shared pattern."""
    document = service_app(service).openapi()
    plain = [
        where for where, schema in _request_schemas(document) if schema.get("format") in ("date-time", "date")
    ]
    assert not plain, f"dates not read by shared/http/dates.py in {service}: {sorted(set(plain))}"
