"""Elastic Path's error shape (ep-api.md §3), checked strictly: what every 4xx and 5xx must look like."""

from __future__ import annotations

from typing import Any

import httpx

OPTIONAL_TEXT = ("detail", "source", "request_id")


def ep_error_problems(status: int, body: Any) -> list[str]:
    """What is wrong with `body` as an EP error document for HTTP `status` (empty: nothing)."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list) or not body["errors"]:
        return [f"not {{'errors': [...]}}: {str(body)[:200]}"]
    problems = []
    for index, error in enumerate(body["errors"]):
        if not isinstance(error, dict):
            problems.append(f"errors[{index}] is not an object")
            continue
        if not isinstance(error.get("status"), int) or isinstance(error.get("status"), bool):
            problems.append(f"errors[{index}].status is not an integer: {error.get('status')!r}")
        if not isinstance(error.get("title"), str) or not error["title"]:
            problems.append(f"errors[{index}].title is missing")
        for member in OPTIONAL_TEXT:
            if member in error and not isinstance(error[member], str):
                problems.append(f"errors[{index}].{member} is not a string")
        if "meta" in error and not isinstance(error["meta"], dict):
            problems.append(f"errors[{index}].meta is not an object")
    first = body["errors"][0]
    if isinstance(first, dict) and first.get("status") != status:
        problems.append(f"errors[0].status {first.get('status')!r} differs from the HTTP status {status}")
    return problems


def assert_ep_error(response: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """The response is an EP error (of `status`, when given); returns its first error object."""
    if status is not None:
        assert response.status_code == status, (response.request.url, response.status_code, response.text)
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{response.request.url}: not JSON: {response.text[:200]}") from None
    problems = ep_error_problems(response.status_code, body)
    assert not problems, (response.request.method, str(response.request.url), problems)
    first: dict[str, Any] = body["errors"][0]
    return first
