"""Schemathesis over the platform's whole OpenAPI document, through the nginx gateway, as the SDK sees it.

The document is the committed docs/openapi/checkout-platform.json (`checkout-admin schemas --write`):
every public endpoint with the bodies, parameters and errors the handlers really have. Each operation
is called through the real gateway in front of the five real services, with a shopper's and with an
admin's token, using data the document allows (positive) and data that breaks it (negative: wrong
types, missing or unknown members, bodies that are not JSON, bad parameters). Checks, per answer:
no 5xx, and every 4xx in Elastic Path's error shape {"errors": [{"status", "title", ...}]}.

Negative cases are generated from the document with its token requirement left out, so that they
keep their valid token and their invalid data reaches the handlers (missing and bad tokens are
test_authorisation_matrix's). An operation with nothing else to break (only free-form path strings)
has positive cases only.

Bounded so that it stays within about three minutes on a busy 2-core machine: up to EXAMPLES cases
per operation, mode and role (52 operations x 2 modes x 2 roles x 10: about 1,900 requests, about
70-90 s once the stack runs), generated up front and sent CONCURRENCY at a time. A failure names the
operation, the mode, the role and a curl command that replays the request.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from devstack.stack import Stack
from tests.security.ep_errors import ep_error_problems
from tests.support.services import ADMIN_ID, ADMIN_SECRET

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi" / "checkout-platform.json"
EXAMPLES = 10
ROLES = ("shopper", "admin")
CONCURRENCY = 20
"""Requests in flight at once: the payment service waits up to 5 s for an order id it has never
seen (a checkout not consumed yet), so unknown ids are slow but idle; overlapping them keeps the run short."""


@schemathesis.check
def elastic_path_error_shape(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx and 5xx is Elastic Path's error document, its first status the HTTP status."""
    del ctx, case
    if 400 <= response.status_code < 600:
        try:
            body = json.loads(response.content)
        except ValueError:
            raise AssertionError(f"{response.status_code} is not JSON: {response.content[:200]!r}") from None
        problems = ep_error_problems(response.status_code, body)
        if problems:
            raise AssertionError(f"{response.status_code} not in Elastic Path's error shape: {problems}")


def _without_security(document: dict[str, Any]) -> dict[str, Any]:
    """The document with no operation requiring a token, so that negative cases keep theirs.

    Schemathesis' negative mode otherwise spends about a third of its cases on a missing
    `Authorization` header: all 401s, which test_authorisation_matrix already covers route by route.
    """
    paths = {
        path: {
            method: {k: v for k, v in op.items() if k != "security"} if isinstance(op, dict) else op
            for method, op in item.items()
        }
        for path, item in document["paths"].items()
    }
    return {**document, "paths": paths}


def _operations(document: dict[str, Any]) -> dict[str, Any]:
    schema = schemathesis.openapi.from_dict(document)
    return {
        f"{op.method.upper()} {op.path}": op for op in (found.ok() for found in schema.get_all_operations())
    }


DOCUMENT_JSON = json.loads(DOCUMENT.read_text())
OPERATIONS = {
    GenerationMode.POSITIVE: _operations(DOCUMENT_JSON),
    GenerationMode.NEGATIVE: _operations(_without_security(DOCUMENT_JSON)),
}


def _examples(operation: Any, mode: GenerationMode) -> list[Any]:
    """Up to EXAMPLES generated cases of one operation in one mode (no request is sent yet)."""
    examples: list[Any] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        examples.append(case)

    try:
        collect()
    except Unsatisfiable:  # nothing to break: e.g. only free-form path strings, once the token is kept
        assert mode is GenerationMode.NEGATIVE, operation
    return examples


async def _token(gateway_url: str, *, admin: bool) -> str:
    """A token from the gateway's token endpoint, the way the SDK gets one."""
    form = {"grant_type": "implicit", "client_id": ADMIN_ID}
    if admin:
        form = {"grant_type": "client_credentials", "client_id": ADMIN_ID, "client_secret": ADMIN_SECRET}
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, trust_env=False) as client:
        response = await client.post("/oauth/access_token", data=form)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="module")
async def gateway_tokens(gateway_stack: Stack) -> dict[str, str]:
    return {role: await _token(gateway_stack.gateway_url, admin=role == "admin") for role in ROLES}


def _run(case: Any, url: str, token: str) -> tuple[int | None, str | None]:
    """Send one case; its status, and what failed (None: every check passed)."""
    try:
        response = case.call_and_validate(
            base_url=url,
            headers={"Authorization": f"Bearer {token}"},
            checks=[not_a_server_error, elastic_path_error_shape],
            timeout=60,
        )
    except Exception as exc:  # schemathesis raises one failure (group) per failing case, with a curl line
        return None, str(exc)[:1500]
    return int(response.status_code), None


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS[GenerationMode.POSITIVE]))
async def test_no_server_error_and_ep_shaped_errors(
    operation_id: str, gateway_stack: Stack, gateway_tokens: dict[str, str]
) -> None:
    url = gateway_stack.gateway_url
    jobs = [
        (mode, role, case)
        for mode in GenerationMode
        for role in ROLES
        for case in await asyncio.to_thread(_examples, OPERATIONS[mode][operation_id], mode)
    ]
    generated = Counter(mode for mode, _, _ in jobs)
    assert generated[GenerationMode.POSITIVE] > 0, "no valid case was generated"
    if "requestBody" in OPERATIONS[GenerationMode.NEGATIVE][operation_id].definition.raw:
        assert generated[GenerationMode.NEGATIVE] > 0, "a body to break, but no invalid case was generated"
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        results = await asyncio.gather(
            *(
                asyncio.wrap_future(pool.submit(_run, case, url, gateway_tokens[role]))
                for _, role, case in jobs
            )
        )
    statuses = Counter(status for status, _ in results if status is not None)
    failures = [
        f"[{mode.value}, {role}] {failure}"
        for (mode, role, _), (_, failure) in zip(jobs, results, strict=True)
        if failure is not None
    ]
    assert not failures, f"{operation_id}: {len(failures)} failing cases (passed: {dict(statuses)}):\n" + (
        "\n\n".join(failures[:8])
    )
