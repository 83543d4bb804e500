"""A customer's saved address (Elastic Path's `address` sub-resource of a customer).

The fields are those of a checkout's billing and shipping address, plus `name`, the customer's
label for it ("Home", "Work"), so that a storefront can copy a saved address into a checkout.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shared.domain.errors import NotFound


class AddressFields(BaseModel):
    """What the customer wrote; empty strings for the optional fields they left out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_name: str
    last_name: str
    line_1: str
    postcode: str
    county: str
    country: str
    name: str = ""
    company_name: str = ""
    line_2: str = ""
    city: str = ""
    region: str = ""
    phone_number: str = ""
    instructions: str = ""


class SavedAddress(BaseModel):
    """One address of a customer, with when it was saved and last changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    fields: AddressFields
    created_at: datetime
    updated_at: datetime


class AddressNotFound(NotFound):
    def __init__(self, address_id: str) -> None:
        super().__init__("The requested address could not be found", address_id)
