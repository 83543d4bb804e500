"""The API documents committed under `docs/`, generated from the code and checked against it in CI.

- `docs/asyncapi/<service>.json`: what each service's Kafka wiring subscribes to and publishes,
  with every payload's envelope schema (FastStream's AsyncAPI 3.0, `shared.messaging.asyncapi`).
- `docs/openapi/<service>.json`: each service's HTTP API (FastAPI's `app.openapi()`).
- `docs/asyncapi/checkout-platform.json`: every topic of the platform, its producers and consumers,
  inbound ones marked (`checkout_admin.platform_asyncapi`), and `docs/asyncapi/schemas/<event>.json`:
  the JSON Schema of each inbound event's envelope, self-contained, for integrators' validators.
- `docs/openapi/checkout-platform.json`: the whole `/v2` API as the gateway serves it: every
  path from the service the gateway routes it to (`gateway.config.ROUTES`).

`checkout-admin schemas --write` regenerates them; `--check` exits non-zero with a summary of
what drifted (CI runs it through `tests/kernel/test_api_documents.py`). Nothing here connects to
a database or a broker: runtimes and apps are built, never started.
"""

from __future__ import annotations

import difflib
import importlib
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from checkout_admin.platform_asyncapi import inbound_schema, platform_document
from checkout_admin.registry import SERVICES
from gateway.config import ROUTES
from shared.contracts.inbound import INBOUND
from shared.messaging.asyncapi import asyncapi_document

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = "checkout-platform"
GATEWAY_URL = "http://127.0.0.1:8080"

APP_FACTORIES = {
    "cart": "services.cart.app:create_cart_app",
    "order": "services.order.app:create_order_app",
    "payment": "services.payment.app:create_payment_app",
    "inventory": "services.inventory.service:create_inventory_app",
    "fulfillment": "services.fulfillment.app:create_fulfillment_app",
}
"""Where each service's HTTP app is made (its settings class is in `checkout_admin.registry`)."""

_UNUSED = {"database_url": "postgresql://unused/unused", "kafka_bootstrap_servers": "unused:9092"}


def project_version(root: Path = ROOT) -> str:
    """The version in pyproject.toml: the documents' version, without asking the installed package."""
    with (root / "pyproject.toml").open("rb") as file:
        version: str = tomllib.load(file)["project"]["version"]
    return version


def service_app(name: str) -> FastAPI:
    """The service's FastAPI app, built (never started) with placeholder connection settings."""
    entry = SERVICES[name]
    module_name, _, factory_name = APP_FACTORIES[name].partition(":")
    settings_cls = getattr(importlib.import_module(entry.module), entry.settings_class)
    factory: Callable[[Any], FastAPI] = getattr(importlib.import_module(module_name), factory_name)
    return factory(settings_cls(topic_prefix="", **_UNUSED))


def service_asyncapi(name: str, version: str) -> dict[str, Any]:
    runtime = SERVICES[name].build(_UNUSED["database_url"], _UNUSED["kafka_bootstrap_servers"], "")
    return asyncapi_document(name, consumers=runtime.consumers, publishes=runtime.publishes, version=version)


def gateway_owner(path: str) -> str | None:
    """The service nginx sends `path` (a template such as `/v2/carts/{ref}`) to: exact matches
    first, then the regular expressions in order, as nginx picks a location."""
    concrete = re.sub(r"\{[^}/]+\}", "x", path)
    for route in ROUTES:
        kind, _, pattern = route.match.partition(" ")
        if kind == "=" and pattern == concrete:
            return route.service
    for route in ROUTES:
        kind, _, pattern = route.match.partition(" ")
        if kind == "~" and re.search(pattern, concrete):
            return route.service
    return None


def _merge_into(target: dict[str, Any], items: Mapping[str, Any], what: str) -> None:
    for key, value in items.items():
        if key in target and target[key] != value:
            raise ValueError(f"two services define {what} {key!r} differently")
        target[key] = value


def merged_openapi(documents: Mapping[str, dict[str, Any]], version: str) -> dict[str, Any]:
    """One document for the public `/v2` API: each path from the service that owns it at the gateway."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    security: dict[str, Any] = {}
    operation_ids: set[str] = set()
    for service, document in documents.items():
        for path, operations in document.get("paths", {}).items():
            if gateway_owner(path) != service:
                continue  # e.g. /oauth/access_token, which every service serves but the cart owns
            for operation in operations.values():
                if operation["operationId"] in operation_ids:
                    raise ValueError(f"operationId {operation['operationId']} is used twice")
                operation_ids.add(operation["operationId"])
            paths[path] = operations
        components = document.get("components", {})
        _merge_into(schemas, components.get("schemas", {}), "the schema")
        _merge_into(security, components.get("securitySchemes", {}), "the security scheme")
    return {
        "openapi": next(iter(documents.values()))["openapi"],
        "info": {
            "title": "Checkout platform: the Elastic Path /v2 API",
            "version": version,
            "description": "Every path the gateway serves, from the service it routes the path to. "
            "Errors are Elastic Path error documents. Generated by `checkout-admin schemas`.",
        },
        "servers": [{"url": GATEWAY_URL, "description": "The gateway of `make run` (GATEWAY_PORT)"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": dict(sorted(security.items())),
        },
    }


def _text(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def generate(root: Path = ROOT) -> dict[str, str]:
    """Every document's path (relative to the repository) and text, as the code makes them now."""
    version = project_version(root)
    names = [name for name, entry in SERVICES.items() if entry.available]
    texts: dict[str, str] = {}
    openapi: dict[str, dict[str, Any]] = {}
    for name in names:
        texts[f"docs/asyncapi/{name}.json"] = _text(service_asyncapi(name, version))
        openapi[name] = service_app(name).openapi()
        texts[f"docs/openapi/{name}.json"] = _text(openapi[name])
    texts[f"docs/openapi/{PLATFORM}.json"] = _text(merged_openapi(openapi, version))
    texts[f"docs/asyncapi/{PLATFORM}.json"] = _text(platform_document(version))
    for event_type in INBOUND:
        texts[f"docs/asyncapi/schemas/{event_type}.json"] = _text(inbound_schema(event_type))
    return texts


@dataclass(frozen=True)
class Drift:
    path: str
    problem: str  # "missing", "differs" or "not generated"
    diff: str = ""


def committed(root: Path = ROOT) -> dict[str, str]:
    """The documents in the repository's `docs/asyncapi` (and its `schemas`) and `docs/openapi`."""
    found = {}
    for folder in ("asyncapi", "asyncapi/schemas", "openapi"):
        for file in sorted((root / "docs" / folder).glob("*.json")):
            found[file.relative_to(root).as_posix()] = file.read_text()
    return found


def drift(expected: Mapping[str, str], actual: Mapping[str, str]) -> list[Drift]:
    """How the committed documents (`actual`) differ from the generated ones (`expected`)."""
    problems = []
    for path, text in expected.items():
        if path not in actual:
            problems.append(Drift(path, "missing"))
        elif actual[path] != text:
            lines = difflib.unified_diff(
                actual[path].splitlines(), text.splitlines(), "committed", "generated", lineterm="", n=1
            )
            problems.append(Drift(path, "differs", "\n".join(lines)))
    problems.extend(Drift(path, "not generated") for path in actual if path not in expected)
    return problems


def write(root: Path = ROOT) -> list[str]:
    """Write every generated document, remove stale ones; the paths that changed."""
    expected = generate(root)
    changed = []
    for problem in drift(expected, committed(root)):
        target = root / problem.path
        if problem.problem == "not generated":
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(expected[problem.path])
        changed.append(problem.path)
    return changed


def summary(problems: list[Drift], *, max_diff_lines: int = 40) -> str:
    """What `--check` prints: each drifted document, and the start of its diff."""
    lines = [f"{len(problems)} API document(s) differ from the code (run `checkout-admin schemas --write`):"]
    for problem in problems:
        lines.append(f"  {problem.path}: {problem.problem}")
        diff_lines = problem.diff.splitlines()
        lines.extend(f"    {line}" for line in diff_lines[:max_diff_lines])
        if len(diff_lines) > max_diff_lines:
            lines.append(f"    ... {len(diff_lines) - max_diff_lines} more diff lines")
    return "\n".join(lines)
