"""The sample shopper the scripted checkout and the benchmark both play (the seed's Ron Swanson)."""

from __future__ import annotations

ADDRESS = {
    "first_name": "Ron",
    "last_name": "Swanson",
    "line_1": "1 Sun Street",
    "city": "Pawnee",
    "postcode": "46001",
    "county": "Wamapoke",
    "country": "US",
}
CUSTOMER = {"name": "Ron Swanson", "email": "ron@example.com"}
