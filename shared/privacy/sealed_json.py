"""Sealed strings anywhere in a kept JSON document, opened with one read of their keys.

For a copy whose keeper does not know its shape (an `Idempotency-Key`'s kept answer, in
`shared/http/idempotency.py`): it keeps the document as sealed as the events, and opens it each
time it is read, so an erased subject's values read as `*` there too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from shared.privacy.personal_data import PersonalData
from shared.privacy.sealed_text import PREFIX, is_sealed

_MARKER = PREFIX.encode()


def sealed_strings(value: Any) -> list[str]:
    """Every sealed string value of a JSON value, at any depth (object keys are never sealed)."""
    if isinstance(value, str):
        return [value] if is_sealed(value) else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in sealed_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in sealed_strings(v)]
    return []


def with_strings(value: Any, transform: Callable[[str], str]) -> Any:
    """A copy of a JSON value with `transform` applied to every string value (keys and order kept)."""
    if isinstance(value, str):
        return transform(value)
    if isinstance(value, dict):
        return {k: with_strings(v, transform) for k, v in value.items()}
    if isinstance(value, list):
        return [with_strings(v, transform) for v in value]
    return value


async def opened_json(personal: PersonalData, body: bytes) -> bytes:
    """`body` (JSON as orjson wrote it) with its sealed strings opened, an erased subject's as `*`.

    A body without sealed strings comes back as the very same bytes. One with them is written again
    by orjson, which keeps the keys' order: the same bytes as the document was first answered with,
    in clear, as long as its subjects' keys live."""
    if _MARKER not in body:
        return body
    document = orjson.loads(body)
    sealed = sealed_strings(document)
    if not sealed:
        return body
    open_ = await personal.opener(sealed)
    return orjson.dumps(with_strings(document, open_))
