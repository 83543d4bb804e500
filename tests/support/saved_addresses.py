"""A saved address as the cart service's customer handlers take it: Ann's home, which the fast tier
saves and the privacy tests seal and open again field by field."""

from __future__ import annotations

from services.cart.domain.customer_address import AddressFields

HOME = AddressFields(
    first_name="Ann",
    last_name="Perkins",
    line_1="3 Elm St",
    postcode="46001",
    county="Wamapoke",
    country="US",
)
