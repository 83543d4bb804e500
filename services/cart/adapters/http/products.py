"""`/v2/products`: a minimal catalogue in Elastic Path's shape (admins write, any token reads)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.cart.adapters.http.presenters import product_document
from services.cart.adapters.http.requests import ProductRequest
from services.cart.application.catalogue import define_product, delete_product
from services.cart.domain.events import ProductDefined
from services.cart.domain.product import Product, ProductNotFound
from shared.auth import AdminToken, AnyToken
from shared.contracts.envelope import utc_now
from shared.contracts.values import ProductPrice
from shared.eventstore.port import UnitOfWork
from shared.http.body import read_data, validate
from shared.http.errors import ApiError
from shared.http.openapi import PAGE_PARAMETERS, documented
from shared.http.paging import page_meta, paging
from shared.http.responses import JsonResponse
from shared.projections.listing import page_of_ids
from shared.service import base_url, database_of

router = APIRouter(tags=["products"])


def _definition(body: ProductRequest) -> ProductDefined:
    return ProductDefined(
        sku=body.sku,
        name=body.name,
        slug=body.slug or body.sku,
        description=body.description,
        status=body.status,
        commodity_type=body.commodity_type,
        price=[
            ProductPrice(amount=p.amount, currency=p.currency.upper(), includes_tax=p.includes_tax)
            for p in body.price
        ],
        manage_stock=body.manage_stock,
        at=utc_now(),
    )


def _product_id(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise ApiError(404, "Not Found", "The requested product could not be found") from None


@router.post(
    "/v2/products",
    **documented(
        status=201, body=ProductRequest, auth="admin", answers="The product, published as ProductPublished"
    ),
)
async def create_product(request: Request, _: AdminToken) -> JsonResponse:
    body = validate(ProductRequest, await read_data(request))
    product_id = _product_id(body.id) if body.id else str(uuid4())

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        product = await define_product(uow, product_id, _definition(body), create=True)
        return {"data": product_document(product, base_url(request))}

    return JsonResponse(await database_of(request).run(command), status_code=201)


@router.put(
    "/v2/products/{product_id}",
    **documented(body=ProductRequest, auth="admin", answers="The product", not_found="No such product"),
)
async def update_product(product_id: str, request: Request, _: AdminToken) -> dict[str, Any]:
    body = validate(ProductRequest, await read_data(request))
    pid = _product_id(product_id)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        product = await define_product(uow, pid, _definition(body), create=False)
        return {"data": product_document(product, base_url(request))}

    result: dict[str, Any] = await database_of(request).run(command)
    return result


@router.get("/v2/products/{product_id}", **documented(answers="The product", not_found="No such product"))
async def get_product(product_id: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    async with database_of(request).unit_of_work() as uow:
        product = await uow.load(Product, _product_id(product_id))
        if not product.visible_to(admin=principal.is_admin):
            raise ProductNotFound(product_id)
        return {"data": product_document(product, base_url(request))}


@router.delete(
    "/v2/products/{product_id}",
    **documented(status=204, auth="admin", answers="Deleted", not_found="No such product"),
)
async def remove_product(product_id: str, request: Request, _: AdminToken) -> Response:
    pid = _product_id(product_id)
    await database_of(request).run(lambda uow: delete_product(uow, pid))
    return Response(status_code=204)


@router.get("/v2/products", **documented(answers="A page of products", parameters=PAGE_PARAMETERS))
async def list_products(request: Request, principal: AnyToken) -> dict[str, Any]:
    limit, offset = paging(request)
    shown = "true" if principal.is_admin else "status = 'live'"  # drafts are listed to admins only
    pool = database_of(request).pool
    ids, total = await page_of_ids(pool, "proj_catalogue.products", "id", limit, offset, where=shown)
    documents = []
    async with database_of(request).unit_of_work() as uow:
        for product_id in ids:
            product = await uow.load(Product, product_id)
            if product.visible_to(admin=principal.is_admin):
                documents.append(product_document(product, base_url(request)))
    return {"data": documents, **page_meta(request, limit, offset, total)}
