"""The bodies the order service accepts (`data` unwrapped)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OrderUpdate(BaseModel):
    """`PUT /v2/orders/:id`, as the SDK's `Orders.Update` sends it."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["order"] = "order"
    status: Literal["cancelled"] | None = None
    shipping: Literal["fulfilled"] | None = None
    reason: str | None = Field(default=None, max_length=500)
