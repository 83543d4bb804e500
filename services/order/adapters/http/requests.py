"""The bodies the order service accepts (`data` unwrapped)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class AddressCorrection(BaseModel):
    """`shipping_address` of an update: only the fields given change. The fields a shipping address
    needs (as at checkout) cannot be emptied; the others can ("")."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    first_name: str | None = Field(default=None, min_length=1, max_length=255)
    last_name: str | None = Field(default=None, min_length=1, max_length=255)
    line_1: str | None = Field(default=None, min_length=1, max_length=255)
    postcode: str | None = Field(default=None, min_length=1, max_length=64)
    country: str | None = Field(default=None, min_length=1, max_length=64)
    company_name: str | None = Field(default=None, max_length=255)
    line_2: str | None = Field(default=None, max_length=255)
    city: str | None = Field(default=None, max_length=255)
    county: str | None = Field(default=None, max_length=255)
    region: str | None = Field(default=None, max_length=255)
    phone_number: str | None = Field(default=None, max_length=64)
    instructions: str | None = Field(default=None, max_length=1000)

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class OrderUpdate(BaseModel):
    """`PUT /v2/orders/:id`, as the SDK's `Orders.Update` sends it: a cancel or a `fulfilled` flag,
    and/or corrections of the shipping address, `order_number` and `external_ref` ("" clears one)."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["order"] = "order"
    status: Literal["cancelled"] | None = None
    shipping: Literal["fulfilled"] | None = None
    reason: str | None = Field(default=None, max_length=500)
    shipping_address: AddressCorrection | None = None
    order_number: str | None = Field(default=None, max_length=255)
    external_ref: str | None = Field(default=None, max_length=64)
