"""Schemathesis over the whole /v2 API of every service, with shopper and admin tokens.

The schemas are the services' own (FastAPI `app.openapi()`); switching to the platform document
(docs/openapi/checkout-platform.json, with request bodies) is still to do. Checks: no 5xx, and
every 4xx in Elastic Path's error shape.
Examples are bounded so the run stays within a few minutes on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.security.ep_errors import ep_error_problems
from tests.security.routes import APPS

MAX_EXAMPLES = 4


def _schemas() -> dict[str, dict[str, Any]]:
    """Service -> its OpenAPI document, /v2 paths only (probes and the token endpoint are not the API)."""
    found = {}
    for service, create in APPS.items():
        raw = create().openapi()
        paths = {path: item for path, item in raw.get("paths", {}).items() if path.startswith("/v2/")}
        if paths:
            found[service] = {**raw, "paths": paths}
    return found


@schemathesis.check
def elastic_path_error_shape(ctx: Any, response: Any, case: Any) -> None:
    if 400 <= response.status_code < 600:
        try:
            body = json.loads(response.content)
        except ValueError:
            raise AssertionError(f"{response.status_code} is not JSON: {response.content[:200]!r}") from None
        problems = ep_error_problems(response.status_code, body)
        if problems:
            raise AssertionError(f"{response.status_code} not in Elastic Path's error shape: {problems}")


SCHEMAS = _schemas()


def _examples(operation: Any) -> list[Any]:
    """Up to MAX_EXAMPLES generated cases of one operation (valid and invalid inputs alike)."""
    examples: list[Any] = []

    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(operation.as_strategy())
    def collect(case: Any) -> None:
        examples.append(case)

    collect()
    return examples


@pytest.mark.parametrize("role", ["shopper", "admin"])
@pytest.mark.parametrize("service", sorted(SCHEMAS))
async def test_no_server_error_and_ep_shaped_errors(service, role, services, admin_token, shopper_token):
    schema = schemathesis.openapi.from_dict(SCHEMAS[service])
    token = admin_token if role == "admin" else shopper_token
    url = services[service].url
    failures: list[str] = []
    called = 0
    for found in schema.get_all_operations():
        operation = found.ok()
        for case in await asyncio.to_thread(_examples, operation):
            called += 1
            try:
                await asyncio.to_thread(
                    case.call_and_validate,
                    base_url=url,
                    headers={"Authorization": f"Bearer {token}"},
                    checks=[not_a_server_error, elastic_path_error_shape],
                    timeout=60,
                )
            except Exception as exc:  # schemathesis raises one failure (group) per failing case
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:800]}")
    assert called > 0
    assert not failures, f"{len(failures)} failing cases:\n" + "\n\n".join(failures[:15])
