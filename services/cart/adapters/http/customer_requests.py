"""The bodies of a customer's profile change and of their saved addresses, as the SDK sends them.

`Customers.Update(id, body, token)` and `CustomerAddresses.Create/Update({customer, body, token})`
put the body in `data` with `type` ("customer", "address") and, for updates, the resource's `id`.
A saved address needs what Elastic Path's Addresses API requires (first_name, last_name, line_1,
postcode, county, country), which covers every field a checkout's billing or shipping address
requires, so a saved address can always be copied into a checkout.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from services.cart.adapters.http.limits import MAX_TEXT
from services.cart.adapters.http.requests import Body, new_password
from services.cart.domain.passwords import MIN_PASSWORD_LENGTH


def required_when_sent(max_length: int = 255) -> Any:
    """An optional member that, when sent, may not be empty (a required one of the resource)."""
    return Field(default=None, min_length=1, max_length=max_length)


class CustomerUpdateRequest(Body):
    """Only the members sent change; `password` sets a new password (at least 8 characters)."""

    type: Literal["customer"] = "customer"
    id: str | None = Field(default=None, max_length=MAX_TEXT, description="Ignored: the path names it")
    name: str | None = required_when_sent()
    email: str | None = Field(default=None, min_length=3, max_length=254)
    password: str | None = new_password(f"A new password, at least {MIN_PASSWORD_LENGTH} characters")
    external_ref: str | None = Field(default=None, max_length=255)


class AddressRequest(Body):
    type: Literal["address"] = "address"
    id: str | None = Field(default=None, max_length=MAX_TEXT, description="Ignored: the path names it")
    first_name: str = Field(min_length=1, max_length=255)
    last_name: str = Field(min_length=1, max_length=255)
    line_1: str = Field(min_length=1, max_length=255)
    postcode: str = Field(min_length=1, max_length=64)
    county: str = Field(min_length=1, max_length=255)
    country: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=255, description="The customer's label, e.g. Home")
    company_name: str = Field(default="", max_length=255)
    line_2: str = Field(default="", max_length=255)
    city: str = Field(default="", max_length=255)
    region: str = Field(default="", max_length=255)
    phone_number: str = Field(default="", max_length=64)
    instructions: str = Field(default="", max_length=1000)


class AddressUpdateRequest(Body):
    """Only the members sent change; a required one cannot be emptied."""

    type: Literal["address"] = "address"
    id: str | None = Field(default=None, max_length=MAX_TEXT, description="Ignored: the path names it")
    first_name: str | None = required_when_sent()
    last_name: str | None = required_when_sent()
    line_1: str | None = required_when_sent()
    postcode: str | None = required_when_sent(64)
    county: str | None = required_when_sent()
    country: str | None = required_when_sent(64)
    name: str | None = Field(default=None, max_length=255)
    company_name: str | None = Field(default=None, max_length=255)
    line_2: str | None = Field(default=None, max_length=255)
    city: str | None = Field(default=None, max_length=255)
    region: str | None = Field(default=None, max_length=255)
    phone_number: str | None = Field(default=None, max_length=64)
    instructions: str | None = Field(default=None, max_length=1000)
