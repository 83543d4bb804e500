"""Bodies as the SDK sends them: lenient about emptiness, strict about JSON and `data`."""

from __future__ import annotations

from typing import Any, Literal

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field, field_validator

from shared.http.body import MAX_BODY_BYTES, read_data, read_json_body, validate
from shared.http.errors import ApiError
from tests.fast.unit.conftest import only_error

JSON = {"content-type": "application/json"}


class Address(BaseModel):
    first_name: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")


class Line(BaseModel):
    quantity: int = Field(ge=1, le=1000)


class Order(BaseModel):
    type: Literal["order"]
    email: str
    billing_address: Address
    items: list[Line] = Field(min_length=1)


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    router = APIRouter()

    @router.api_route("/raw", methods=["GET", "POST", "DELETE"])
    async def raw(request: Request) -> dict[str, Any]:
        return {"body": await read_json_body(request)}

    @router.post("/data")
    async def data(request: Request) -> dict[str, Any]:
        return {"data": await read_data(request)}

    @router.post("/capture")
    async def capture(request: Request) -> dict[str, Any]:
        return {"data": await read_data(request, required=False)}

    @router.post("/orders")
    async def orders(request: Request) -> dict[str, Any]:
        return validate(Order, await read_data(request)).model_dump()

    app.include_router(router)
    return app


@pytest.mark.parametrize("method", ["GET", "DELETE", "POST"])
async def test_an_empty_body_with_a_json_content_type_is_no_body(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(method, "/raw", headers=JSON)
    assert response.status_code == 200 and response.json() == {"body": None}


async def test_a_capture_without_a_body_is_fine_where_data_is_optional(client: httpx.AsyncClient) -> None:
    for content in (b"", b"  \n", b"{}", b'{"data": null}'):
        response = await client.post("/capture", content=content, headers=JSON)
        assert response.json() == {"data": None}, content
    refund = await client.post("/capture", json={"data": {}})
    assert refund.json() == {"data": {}}


@pytest.mark.parametrize("content", [b"{oops", b'{ "data": undefined, "options": {} }', b"\xff\xfe", b"[1,"])
async def test_malformed_json_is_a_400(client: httpx.AsyncClient, content: bytes) -> None:
    for path in ("/raw", "/data"):
        error = only_error(await client.post(path, content=content, headers=JSON), 400)
        assert error == {"status": 400, "title": "Bad Request", "detail": "Malformed JSON"}


@pytest.mark.parametrize("content", [b"", b"{}", b'{"nodata": 1}', b'{"data": null}'])
async def test_missing_data_is_a_required_error_at_data(client: httpx.AsyncClient, content: bytes) -> None:
    error = only_error(await client.post("/data", content=content, headers=JSON), 400)
    assert (error["title"], error["source"]) == ("required", "data")


async def test_a_body_that_is_not_an_object_is_a_type_error(client: httpx.AsyncClient) -> None:
    assert only_error(await client.post("/data", json=["x"]), 400)["title"] == "type"


async def test_data_and_options_are_read_as_sent(client: httpx.AsyncClient) -> None:
    bulk = {"data": {"data": [{"id": "a"}]}, "options": {}}
    assert (await client.post("/raw", json=bulk)).json() == {"body": bulk}
    assert (await client.post("/data", json=bulk)).json() == {"data": {"data": [{"id": "a"}]}}


async def test_an_oversized_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/raw", content=b" " * (MAX_BODY_BYTES + 1), headers=JSON)
    assert only_error(response, 413)["title"] == "Payload Too Large"


VALID_ORDER = {
    "type": "order",
    "email": "r@x.com",
    "billing_address": {"first_name": "Ron", "country": "GB"},
    "items": [{"quantity": 1}],
}


async def test_a_valid_payload_becomes_the_model(client: httpx.AsyncClient) -> None:
    response = await client.post("/orders", json={"data": VALID_ORDER})
    assert response.status_code == 200 and response.json() == VALID_ORDER


async def test_validation_reports_one_error_per_problem_with_its_source(client: httpx.AsyncClient) -> None:
    bad = {
        "type": "cart",
        "billing_address": {"first_name": "x" * 21, "country": "gb"},
        "items": [{"quantity": 1}, {"quantity": "two"}, {"quantity": 0}],
    }
    response = await client.post("/orders", json={"data": bad})

    assert response.status_code == 400
    found = {(e["source"], e["title"]) for e in response.json()["errors"]}
    assert found == {
        ("data.type", "enum"),
        ("data.email", "required"),
        ("data.billing_address.first_name", "maxLength"),
        ("data.billing_address.country", "pattern"),
        ("data.items.1.quantity", "type"),
        ("data.items.2.quantity", "minimum"),
    }
    for error in response.json()["errors"]:
        assert error["status"] == 400 and error["detail"]
    email = next(e for e in response.json()["errors"] if e["source"] == "data.email")
    assert email["detail"] == "email is required"


def test_validate_names_the_prefix_it_is_given() -> None:
    with pytest.raises(ApiError) as caught:
        validate(Line, {"quantity": 5000}, "data.items.3")
    assert caught.value.errors == [
        {
            "status": 400,
            "title": "maximum",
            "detail": "Input should be less than or equal to 1000",
            "source": "data.items.3.quantity",
        }
    ]
    with pytest.raises(ApiError) as not_a_dict:
        validate(Line, "PRODUCT")
    assert not_a_dict.value.errors == [
        {"status": 400, "title": "type", "detail": "data must be an object", "source": "data"}
    ]


def test_custom_validator_messages_read_as_plain_sentences() -> None:
    class Email(BaseModel):
        email: str

        @field_validator("email")
        @classmethod
        def _no_double_dots(cls, value: str) -> str:
            if ".." in value:
                raise ValueError("Does not match format 'email")
            return value

    with pytest.raises(ApiError) as caught:
        validate(Email, {"email": "a..b@x.com"}, "data.customer")
    assert caught.value.errors == [
        {
            "status": 400,
            "title": "format",
            "detail": "Does not match format 'email",
            "source": "data.customer.email",
        }
    ]


@pytest.mark.parametrize(
    "content", [b'{"data": {"name": "a\\u0000b"}}', b'{"data": {"k\\u0000": 1}}', b'{"data": [["\\u0000"]]}']
)
async def test_the_nul_character_is_a_400_not_a_failed_write(
    client: httpx.AsyncClient, content: bytes
) -> None:
    error = only_error(await client.post("/data", content=content, headers=JSON), 400)
    assert error["title"] == "format" and "NUL" in error["detail"]


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(client: httpx.AsyncClient) -> None:
    response = await client.post("/data", content=b'{"data": {"name": "a\\\\u0000b"}}', headers=JSON)
    assert response.status_code == 200 and response.json() == {"data": {"name": "a\\u0000b"}}
