"""A promotion's `start` and `end` in every form Elastic Path accepts, through a real cart service.

A promotion created with EP's documented date form (`2020-01-01`, or a date-time without an offset)
was stored, and then every add of its code to a cart answered 500: comparing its naive times with
the aware clock raised. Every date and time is now normalised to UTC where the request is read
(shared/http/dates.py); a date alone as `start` means 00:00 UTC that day, as `end` the whole day
(until 00:00 UTC the next day). The property below sends generated forms and values and never
gets a 500: a promotion is created (201) or refused in EP's shape (400), and its code then applies
(201) or is refused (422) exactly as the instants its texts name say.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from services.cart.domain.events import PromotionDefined
from tests.cart.conftest import create_product, new_cart
from tests.security.ep_errors import assert_ep_error
from tests.support.date_forms import MICROSECONDS_PER_DAY, DateForm, iso_forms, wild_values

DISCOUNT = 700
END_OF_9999 = (datetime(9999, 12, 31, tzinfo=UTC) - datetime(1, 1, 1, tzinfo=UTC)).days * MICROSECONDS_PER_DAY
LAST_INSTANT = END_OF_9999 + MICROSECONDS_PER_DAY - 1


def promotion_body(start: object, end: object) -> dict[str, Any]:
    return {
        "data": {
            "type": "promotion",
            "name": "Dated",
            "description": "dates",
            "enabled": True,
            "automatic": False,
            "promotion_type": "fixed_discount",
            "schema": {"currencies": [{"currency": "USD", "amount": DISCOUNT}]},
            "start": start,
            "end": end,
        }
    }


async def add_code(admin: httpx.AsyncClient, promotion_id: str) -> str:
    code = f"D{uuid4().hex[:10]}"
    response = await admin.post(
        f"/v2/promotions/{promotion_id}/codes",
        json={"data": {"type": "promotion_codes", "codes": [{"code": code}]}},
    )
    assert response.status_code == 201, response.text
    return code


async def cart_with_an_item(shopper: httpx.AsyncClient, product: dict[str, Any]) -> str:
    ref = new_cart()
    added = await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    )
    assert added.status_code == 201, added.text
    return ref


async def apply(shopper: httpx.AsyncClient, ref: str, code: str) -> httpx.Response:
    return await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "promotion_item", "code": code}}
    )


def micros(moment: datetime) -> int:
    """Microseconds since 0001-01-01T00:00Z, the unit of tests/support/date_forms.py."""
    delta = moment - datetime(1, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@pytest.fixture(scope="module")
async def product(admin: httpx.AsyncClient) -> dict[str, Any]:
    return await create_product(admin, amount=5000)


@pytest.mark.parametrize(
    ("start", "end", "start_utc", "end_utc"),
    [
        ("2020-01-01", "2099-12-31", "2020-01-01T00:00:00Z", "2100-01-01T00:00:00Z"),
        ("2020-01-01T09:30", "2099-12-31T18:00", "2020-01-01T09:30:00Z", "2099-12-31T18:00:00Z"),
        ("2020-01-01T09:30:15", "2099-12-31T18:00:00", "2020-01-01T09:30:15Z", "2099-12-31T18:00:00Z"),
        (
            "2020-01-01T09:30:00Z",
            "2099-12-31T18:00:00.250Z",
            "2020-01-01T09:30:00Z",
            "2099-12-31T18:00:00.250000Z",
        ),
        (
            "2020-01-01T09:30:00+05:30",
            "2099-12-31T18:00-0800",
            "2020-01-01T04:00:00Z",
            "2100-01-01T02:00:00Z",
        ),
    ],
)
async def test_each_date_form_makes_a_promotion_whose_code_applies_and_reads_back_in_utc(
    admin, shopper, product, start, end, start_utc, end_utc
):
    created = await admin.post("/v2/promotions", json=promotion_body(start, end))
    assert created.status_code == 201, created.text
    promotion = created.json()["data"]
    assert (promotion["start"], promotion["end"]) == (start_utc, end_utc)
    read = (await admin.get(f"/v2/promotions/{promotion['id']}")).json()["data"]
    assert (read["start"], read["end"]) == (start_utc, end_utc)

    ref = await cart_with_an_item(shopper, product)
    applied = await apply(shopper, ref, await add_code(admin, promotion["id"]))
    assert applied.status_code == 201, applied.text
    assert applied.json()["meta"]["display_price"]["discount"]["amount"] == -DISCOUNT
    cart = await shopper.get(f"/v2/carts/{ref}")
    assert cart.status_code == 200, cart.text
    assert cart.json()["data"]["meta"]["display_price"]["without_tax"]["amount"] == 5000 - DISCOUNT


async def _clear_of_midnight() -> datetime:
    """Now, at least a minute before midnight UTC, so that "today" stays today for the test."""
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    if midnight - now < timedelta(minutes=1):
        await asyncio.sleep((midnight - now).total_seconds() + 1)
        now = datetime.now(UTC)
    return now


async def test_a_date_alone_as_end_includes_that_whole_day_and_as_start_begins_it(admin, shopper, product):
    today = (await _clear_of_midnight()).date()
    day = timedelta(days=1)
    ref = await cart_with_an_item(shopper, product)

    one_day = await admin.post("/v2/promotions", json=promotion_body(today.isoformat(), today.isoformat()))
    assert one_day.status_code == 201, one_day.text  # a one-day promotion: end is after start
    assert one_day.json()["data"]["end"] == f"{(today + day).isoformat()}T00:00:00Z"
    applied = await apply(shopper, ref, await add_code(admin, one_day.json()["data"]["id"]))
    assert applied.status_code == 201, applied.text

    for start, end, refusal in [
        (today + day, today + 2 * day, "has not started yet"),
        (today - 2 * day, today - day, "has expired"),
    ]:
        created = await admin.post("/v2/promotions", json=promotion_body(start.isoformat(), end.isoformat()))
        assert created.status_code == 201, created.text
        refused = await apply(shopper, ref, await add_code(admin, created.json()["data"]["id"]))
        assert refusal in assert_ep_error(refused, 422)["detail"]


@pytest.mark.parametrize("start", ["2020-01-01", "2020-01-01T00:00:00", "2020-01-01T05:30:00+05:30"])
async def test_an_end_at_or_before_its_start_is_refused_whatever_the_forms(admin, start):
    refused = await admin.post("/v2/promotions", json=promotion_body(start, "2020-01-01T00:00:00Z"))
    assert assert_ep_error(refused, 400)["source"] == "data.end"


def test_a_promotion_stored_with_naive_times_before_the_fix_loads_as_utc():
    """Events written before the fix hold times without an offset: they meant UTC, and load so."""
    stored = PromotionDefined.model_validate(
        {
            "name": "Old",
            "promotion_type": "fixed_discount",
            "promotion_schema": {"currencies": [{"currency": "USD", "amount": 1}]},
            "start": "2020-01-01T00:00:00",
            "end": "2099-01-01T00:00:00",
            "at": "2020-01-01T00:00:00+00:00",
        }
    )
    assert (stored.start, stored.end) == (datetime(2020, 1, 1, tzinfo=UTC), datetime(2099, 1, 1, tzinfo=UTC))


def _expected_creation(start: object, end: object) -> int | None:
    """The status a create must answer, when the texts' instants decide it (None: 201 or 400)."""
    if not isinstance(start, DateForm) or not isinstance(end, DateForm):
        return None
    in_range = 0 <= start.first <= LAST_INSTANT and 0 <= end.last <= LAST_INSTANT
    return 201 if in_range and end.last > start.first else 400


def _text(value: object) -> object:
    return value.text if isinstance(value, DateForm) else value


THIS_YEAR = datetime.now(UTC).year
PAST = iso_forms(years=st.integers(1990, THIS_YEAR - 1))
FUTURE = iso_forms(years=st.integers(THIS_YEAR + 1, 2200))


def mostly(usual: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """`usual` 6 times in 10, else any form or anything else (st.one_of would flatten the eight
    kinds of wild value into as many equal branches): most periods start in a past year and end in
    a future one, so that many codes really apply (201)."""
    return st.integers(0, 9).flatmap(lambda n: usual if n < 6 else iso_forms() if n < 8 else wild_values())


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(start=mostly(PAST), end=mostly(FUTURE))
async def test_no_date_or_time_form_reaches_a_500(admin, shopper, product, start, end):
    created = await admin.post("/v2/promotions", json=promotion_body(_text(start), _text(end)))
    expected = _expected_creation(start, end)
    event(f"created: {created.status_code}")  # --hypothesis-show-statistics shows how far cases got
    assert created.status_code in ((201, 400) if expected is None else (expected,)), created.text
    if created.status_code == 400:
        refused = assert_ep_error(created, 400)
        nul = "\\u0000" in json.dumps([_text(start), _text(end)])  # refused for the whole body, first
        assert refused.get("source") in ("data.start", "data.end") or (nul and "NUL" in refused["detail"])
        return
    code = await add_code(admin, created.json()["data"]["id"])
    ref = await cart_with_an_item(shopper, product)
    before = micros(datetime.now(UTC))
    applied = await apply(shopper, ref, code)
    after = micros(datetime.now(UTC))
    event(f"code applied: {applied.status_code}")
    assert applied.status_code in (201, 422), applied.text
    if applied.status_code == 422:
        assert_ep_error(applied, 422)
    if isinstance(start, DateForm) and isinstance(end, DateForm):
        active = {start.first <= now < end.last for now in (before, after)}
        if len(active) == 1:  # the clock did not cross a bound during the request
            assert applied.status_code == (201 if active.pop() else 422), applied.text
    cart = await shopper.get(f"/v2/carts/{ref}")
    assert cart.status_code == 200, cart.text
