"""`/v2/inventories`: stock per product and its transactions. Admins write; any token reads."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from services.inventory.application import reading, stock_admin
from services.inventory.domain.stock import MAX_QUANTITY, Stock, Transaction
from shared.auth import AdminToken, AnyToken
from shared.eventstore.port import UnitOfWork
from shared.http.body import read_data, validate
from shared.http.errors import ApiError
from shared.http.openapi import PAGE_PARAMETERS, documented
from shared.http.paging import page_meta, paging
from shared.http.responses import JsonResponse
from shared.service import database_of

router = APIRouter(tags=["inventories"])


class StockRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    quantity: StrictInt = Field(ge=0, le=MAX_QUANTITY)


class TransactionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["stock-transaction"] = "stock-transaction"
    action: Literal["increment", "decrement", "allocate", "deallocate"]
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)


class ProductRef(BaseModel):
    """`POST /v2/inventories/multiple` names products by id (ids that are not UUIDs are skipped)."""

    id: str


NO_STOCK = "No stock is kept for this product (or its id is not a UUID)"


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def stock_document(stock: Stock) -> dict[str, Any]:
    return {
        "id": stock.id,
        "type": "stock",
        "total": stock.total,
        "available": stock.available,
        "allocated": stock.allocated,
        "meta": {"timestamps": {"created_at": _iso(stock.created_at), "updated_at": _iso(stock.updated_at)}},
    }


def transaction_document(product_id: str, transaction: Transaction) -> dict[str, Any]:
    return {
        "id": transaction.id,
        "type": "stock-transaction",
        "action": transaction.action,
        "product_id": product_id,
        "quantity": transaction.quantity,
        "timestamps": {"created_at": _iso(transaction.at)},
    }


def _uuid(value: str) -> str | None:
    try:
        return str(UUID(value))
    except ValueError:
        return None


def _product_id(value: str) -> str:
    product_id = _uuid(value)
    if product_id is None:
        raise ApiError(404, "Not Found", "The resource could not be found")
    return product_id


@router.get("/v2/inventories", **documented(answers="A page of stock", parameters=PAGE_PARAMETERS))
async def list_stock(request: Request, _: AnyToken) -> dict[str, Any]:
    limit, offset = paging(request)
    database = database_of(request)
    product_ids, total = await reading.list_stock(database, limit, offset)
    documents = [stock_document(s) for s in await reading.get_many(database, product_ids)]
    return {"data": documents, **page_meta(request, limit, offset, total)}


@router.post(
    "/v2/inventories/multiple",
    **documented(
        body=Annotated[list[ProductRef], Field(max_length=100)],
        answers="The stock of those products that have stock",
    ),
)
async def multiple(request: Request, _: AnyToken) -> dict[str, Any]:
    data = await read_data(request)
    if not isinstance(data, list) or not all(
        isinstance(d, dict) and isinstance(d.get("id"), str) for d in data
    ):
        raise ApiError(400, "Bad Request", "data must be a list of {id}", source="data")
    if len(data) > 100:
        raise ApiError(400, "Bad Request", "At most 100 products at once", source="data")
    product_ids = [pid for pid in (_uuid(d["id"]) for d in data) if pid is not None]
    return {"data": [stock_document(s) for s in await reading.get_many(database_of(request), product_ids)]}


@router.get("/v2/inventories/{product_id}", **documented(answers="The stock", not_found=NO_STOCK))
async def get_stock(product_id: str, request: Request, _: AnyToken) -> dict[str, Any]:
    return {"data": stock_document(await reading.get_stock(database_of(request), _product_id(product_id)))}


@router.post(
    "/v2/inventories/{product_id}",
    **documented(
        status=201,
        body=StockRequest,
        auth="admin",
        answers="The stock, set to `quantity` (created or reset)",
        not_found="The product id is not a UUID",
    ),
)
async def create_stock(product_id: str, request: Request, _: AdminToken) -> JsonResponse:
    body = validate(StockRequest, await read_data(request))
    pid = _product_id(product_id)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        return {"data": stock_document(await stock_admin.create_stock(uow, pid, body.quantity))}

    return JsonResponse(await database_of(request).run(command), status_code=201)


@router.delete(
    "/v2/inventories/{product_id}",
    **documented(status=204, auth="admin", answers="Deleted", not_found=NO_STOCK),
)
async def delete_stock(product_id: str, request: Request, _: AdminToken) -> Response:
    pid = _product_id(product_id)
    await database_of(request).run(lambda uow: stock_admin.delete_stock(uow, pid))
    return Response(status_code=204)


@router.post(
    "/v2/inventories/{product_id}/transactions",
    **documented(
        body=TransactionRequest,
        auth="admin",
        answers="The stock transaction",
        not_found=NO_STOCK,
        unprocessable="The stock cannot move so (more than is available or allocated)",
    ),
)
async def create_transaction(product_id: str, request: Request, _: AdminToken) -> dict[str, Any]:
    body = validate(TransactionRequest, await read_data(request))
    pid = _product_id(product_id)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        transaction = await stock_admin.transact(uow, pid, body.action, body.quantity)
        return {"data": transaction_document(pid, transaction)}

    result: dict[str, Any] = await database_of(request).run(command)
    return result


@router.get(
    "/v2/inventories/{product_id}/transactions",
    **documented(answers="The product's stock transactions", not_found=NO_STOCK),
)
async def list_transactions(product_id: str, request: Request, _: AnyToken) -> dict[str, Any]:
    pid = _product_id(product_id)
    limit, offset = paging(request)
    transactions, total = await reading.get_transactions(database_of(request), pid, limit, offset)
    return {
        "data": [transaction_document(pid, t) for t in transactions],
        **page_meta(request, limit, offset, total),
    }


@router.get(
    "/v2/inventories/{product_id}/transactions/{transaction_id}",
    **documented(answers="The stock transaction", not_found="No such stock or transaction"),
)
async def get_transaction(
    product_id: str, transaction_id: str, request: Request, _: AnyToken
) -> dict[str, Any]:
    pid = _product_id(product_id)
    transaction = await reading.get_transaction(database_of(request), pid, transaction_id)
    return {"data": transaction_document(pid, transaction)}
