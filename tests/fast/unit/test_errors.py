"""Every failure answers in Elastic Path's error shape: ours, FastAPI's, Starlette's, and crashes."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel, Field

from shared.domain.errors import DomainError
from shared.eventstore.errors import ConcurrencyError
from shared.http.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    UnprocessableEntity,
    error_object,
)
from tests.fast.unit.conftest import JsonLines, only_error


class Item(BaseModel):
    quantity: int = Field(ge=1)
    sku: str


class ItemBody(BaseModel):
    data: Item


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    router = APIRouter()

    @router.get("/raise/{kind}")
    async def raise_(kind: str) -> None:
        match kind:
            case "api":
                raise ApiError(400, "format", "Does not match format 'email", source="data.customer.email")
            case "many":
                raise ApiError.many(
                    [
                        error_object(400, "required", "a is required", "data.a"),
                        error_object(400, "type", None, "data.b"),
                    ]
                )
            case "domain":
                raise DomainError(
                    "Not enough stock", title="Insufficient stock", status=400, meta={"sku": "S1"}
                )
            case "conflict":
                raise ConcurrencyError("cart-1", 3)
            case "http":
                raise HTTPException(status_code=418, detail="I am a teapot, and I say so")
            case _:
                raise RuntimeError("secret internals: password=hunter2")

    @router.post("/typed")
    async def typed(body: ItemBody, page: int = 1) -> dict[str, int]:
        return {"quantity": body.data.quantity, "page": page}

    app.include_router(router)
    return app


def test_error_objects_leave_out_what_is_unknown() -> None:
    assert error_object(404, "Not Found") == {"status": 404, "title": "Not Found"}
    full = error_object(400, "format", "bad", "data.email", {"id": "x"})
    assert full == {
        "status": 400,
        "title": "format",
        "detail": "bad",
        "source": "data.email",
        "meta": {"id": "x"},
    }


@pytest.mark.parametrize(
    ("error", "status", "title", "detail"),
    [
        (
            BadRequest("Could not parse the supplied filter"),
            400,
            "Bad Request",
            "Could not parse the supplied filter",
        ),
        (Unauthorized(), 401, "Unable to validate access token", None),
        (Forbidden(), 403, "Forbidden", None),
        (
            NotFound(title="Category not found"),
            404,
            "Category not found",
            "The requested resource could not be found",
        ),
        (Conflict(), 409, "Conflict", "Write conflict detected"),
        (UnprocessableEntity(title="Cannot complete request"), 422, "Cannot complete request", None),
    ],
)
def test_the_common_cases_have_their_ep_defaults(
    error: ApiError, status: int, title: str, detail: str | None
) -> None:
    assert error.status == status and isinstance(error, ApiError)
    assert error.errors == [error_object(status, title, detail)]


def test_many_errors_take_the_first_status_and_need_one() -> None:
    error = ApiError.many([error_object(422, "a"), error_object(400, "b")])
    assert error.status == 422 and len(error.errors) == 2
    with pytest.raises(ValueError):
        ApiError.many([])


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "api",
            {
                "status": 400,
                "title": "format",
                "detail": "Does not match format 'email",
                "source": "data.customer.email",
            },
        ),
        (
            "domain",
            {
                "status": 400,
                "title": "Insufficient stock",
                "detail": "Not enough stock",
                "meta": {"sku": "S1"},
            },
        ),
        ("conflict", {"status": 409, "title": "Conflict", "detail": "Write conflict detected"}),
        ("http", {"status": 418, "title": "I'm a Teapot", "detail": "I am a teapot, and I say so"}),
    ],
)
async def test_raised_errors_are_rendered_exactly(
    client: httpx.AsyncClient, kind: str, expected: dict[str, object]
) -> None:
    response = await client.get(f"/raise/{kind}")
    assert only_error(response, int(str(expected["status"]))) == expected


async def test_several_errors_travel_together(client: httpx.AsyncClient) -> None:
    response = await client.get("/raise/many")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"status": 400, "title": "required", "detail": "a is required", "source": "data.a"},
            {"status": 400, "title": "type", "source": "data.b"},
        ]
    }


async def test_an_unknown_route_is_a_404_in_ep_shape(client: httpx.AsyncClient) -> None:
    error = only_error(await client.get("/v2/nowhere"), 404)
    assert error == {
        "status": 404,
        "title": "Not Found",
        "detail": "The requested resource could not be found",
    }


async def test_a_wrong_method_is_a_405_in_ep_shape(client: httpx.AsyncClient) -> None:
    response = await client.delete("/typed")
    assert only_error(response, 405)["title"] == "Method Not Allowed"
    assert response.headers["allow"] == "POST"


async def test_fastapi_validation_points_at_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/typed?page=two", json={"data": {"quantity": 0}})
    assert response.status_code == 400
    errors = {e["source"]: e for e in response.json()["errors"]}
    assert set(errors) == {"data.quantity", "data.sku", "page"}
    assert errors["data.quantity"]["title"] == "minimum"
    assert errors["data.sku"] == {
        "status": 400,
        "title": "required",
        "detail": "data.sku is required",
        "source": "data.sku",
    }
    assert errors["page"]["title"] == "type"


async def test_malformed_json_for_a_typed_body_is_a_plain_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/typed", content=b'{"data": {', headers={"content-type": "application/json"}
    )
    assert only_error(response, 400) == {"status": 400, "title": "Bad Request", "detail": "Malformed JSON"}


async def test_a_crash_is_a_500_with_a_request_id_and_no_internals(
    client: httpx.AsyncClient, json_lines: JsonLines
) -> None:
    response = await client.get("/raise/crash", headers={"X-Correlation-ID": "crash-1"})

    error = only_error(response, 500)
    assert set(error) == {"status", "title", "detail", "request_id"}
    assert error["title"] == "Internal Server Error" and error["request_id"]
    for internal in ("secret internals", "hunter2", "RuntimeError", "Traceback", "raise_"):
        assert internal not in response.text
    assert response.headers["x-correlation-id"] == "crash-1"
    [line] = [line for line in json_lines.lines if line["level"] == "error"]
    assert line["request_id"] == error["request_id"] and line["correlation_id"] == "crash-1"
    assert "RuntimeError: secret internals" in line["exc"] and line["path"] == "/raise/crash"
