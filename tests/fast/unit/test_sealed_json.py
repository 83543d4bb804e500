"""A kept JSON document's sealed strings, found at any depth and opened in place
(`shared/privacy/sealed_json.py`, what an `Idempotency-Key`'s replay answers through)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from shared.privacy.personal_data import Opener, PersonalData
from shared.privacy.sealed_json import opened_json, sealed_strings
from shared.privacy.sealed_text import ANONYMISED, seal

KEY = b"k" * 32
SUBJECT = "order:1"


class KeysInMemory(PersonalData):
    """The key table reduced to a dict (the table itself is tests/privacy/test_key_store.py's), and
    the subjects each opener was asked for."""

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        super().__init__(None)
        self.keys = dict(keys)
        self.asked: list[list[str]] = []

    async def opener(self, values: Iterable[str]) -> Opener:
        wanted = list(values)
        self.asked.append(wanted)
        return Opener(self.keys)


def _order(name: str, email: str, street: str) -> dict[str, Any]:
    return {
        "data": {
            "id": "1",
            "customer": {"name": name, "email": email},
            "shipping_address": {"line_1": street, "line_2": "", "county": None},
            "meta": {"display_price": {"amount": 1999, "rate": 0.2}},
        },
        "included": {"items": [{"name": "Mug", "quantity": 1}]},
    }


CLEAR = _order("Ann Lee", "ann@example.com", "1 Elm Street")
SEALED = _order(
    seal(KEY, SUBJECT, "Ann Lee"), seal(KEY, SUBJECT, "ann@example.com"), seal(KEY, SUBJECT, "1 Elm Street")
)


def test_sealed_strings_are_found_at_any_depth_and_nothing_else() -> None:
    found = sealed_strings(SEALED)
    assert sorted(found) == sorted(
        [
            SEALED["data"]["customer"]["name"],
            SEALED["data"]["customer"]["email"],
            SEALED["data"]["shipping_address"]["line_1"],
        ]
    )
    assert sealed_strings(CLEAR) == []


async def test_a_sealed_document_opens_to_the_bytes_of_the_clear_one_with_one_read_of_keys() -> None:
    personal = KeysInMemory({SUBJECT: KEY})
    kept = orjson.dumps(SEALED)
    assert b"ann@example.com" not in kept
    assert await opened_json(personal, kept) == orjson.dumps(CLEAR)
    assert len(personal.asked) == 1 and len(personal.asked[0]) == 3


async def test_an_erased_subjects_strings_open_as_anonymised() -> None:
    opened = orjson.loads(await opened_json(KeysInMemory({}), orjson.dumps(SEALED)))
    assert opened == _order(ANONYMISED, ANONYMISED, ANONYMISED)


async def test_a_document_without_sealed_strings_is_answered_as_it_was_kept() -> None:
    personal = KeysInMemory({SUBJECT: KEY})
    kept = orjson.dumps(CLEAR)
    assert await opened_json(personal, kept) is kept
    mentions = orjson.dumps({"note": "the prefix pii:v1: inside a text is not a sealed value"})
    assert await opened_json(personal, mentions) is mentions
    assert personal.asked == []
