"""The answer to an `Idempotency-Key` sent again with another body, the same in every service that
takes keys (cart checkout, payment's money-moving calls)."""

from __future__ import annotations

from typing import Any

import httpx


def assert_key_refused_for_another_body(response: httpx.Response) -> dict[str, Any]:
    """The response is Elastic Path's 422 naming the `Idempotency-Key`; its one error, for more checks."""
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["status"], error["title"], error["source"]) == (
        422,
        "Unprocessable Entity",
        "Idempotency-Key",
    )
    found: dict[str, Any] = error
    return found
