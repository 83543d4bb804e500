"""The AsyncAPI and OpenAPI documents under docs/ are what the code generates, and say true things.

The first test is how CI enforces the documents (`make test`); the others show that a drifted
document is caught, and that the documents describe what the services really accept and send.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from checkout_admin import cli, schemas
from checkout_admin.registry import SERVICES
from shared.contracts.envelope import Envelope
from shared.contracts.events import CartCheckedOut
from shared.contracts.inbound import INBOUND
from shared.contracts.values import Address, Customer, Money, OrderLine, Totals

DOCUMENTS = sorted(schemas.committed())


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return schemas.generate()


def _load(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((schemas.ROOT / path).read_text())
    return loaded


def test_the_committed_documents_are_what_the_code_generates(generated: dict[str, str]) -> None:
    problems = schemas.drift(generated, schemas.committed())
    assert not problems, schemas.summary(problems)


def test_every_service_has_both_documents_and_the_gateway_has_the_merged_one() -> None:
    expected = {f"docs/{kind}/{name}.json" for name in SERVICES for kind in ("asyncapi", "openapi")}
    platform = {"docs/openapi/checkout-platform.json", "docs/asyncapi/checkout-platform.json"}
    inbound_schemas = {f"docs/asyncapi/schemas/{event_type}.json" for event_type in INBOUND}
    assert set(DOCUMENTS) == expected | platform | inbound_schemas


@pytest.fixture
def copy_of_repository(tmp_path: Path) -> Path:
    shutil.copy(schemas.ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(schemas.ROOT / "docs", tmp_path / "docs")
    return tmp_path


def test_an_altered_document_is_detected_and_write_repairs_it(
    copy_of_repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_of_repository
    platform = root / "docs/openapi/checkout-platform.json"
    document = json.loads(platform.read_text())
    del document["paths"]["/v2/carts/{ref}/checkout"]
    platform.write_text(json.dumps(document, indent=2) + "\n")
    (root / "docs/asyncapi/order.json").unlink()
    (root / "docs/openapi/stale.json").write_text("{}\n")

    assert cli.main(["schemas", "--check", "--root", str(root)]) == 1
    report = capsys.readouterr().err
    assert "docs/openapi/checkout-platform.json: differs" in report
    added = [line.strip() for line in report.splitlines() if line.strip().startswith("+")]
    assert any('"/v2/carts/{ref}/checkout": {' in line for line in added)  # what the file lost
    assert "docs/asyncapi/order.json: missing" in report
    assert "docs/openapi/stale.json: not generated" in report

    assert cli.main(["schemas", "--write", "--root", str(root)]) == 0
    assert cli.main(["schemas", "--check", "--root", str(root)]) == 0
    assert not (root / "docs/openapi/stale.json").exists()


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [
            ref for key, value in node.items() for ref in ([value] if key == "$ref" else _references(value))
        ]
    if isinstance(node, list):
        return [ref for item in node for ref in _references(item)]
    return []


def _schemas_in(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        own = [node["schema"]] if isinstance(node.get("schema"), dict) else []
        return own + [s for key, value in node.items() if key != "schema" for s in _schemas_in(value)]
    if isinstance(node, list):
        return [s for item in node for s in _schemas_in(item)]
    return []


@pytest.mark.parametrize("path", DOCUMENTS)
def test_every_reference_resolves_and_every_schema_is_valid_json_schema(path: str) -> None:
    document = _load(path)
    for reference in _references(document):
        assert reference.startswith("#/"), reference
        node: Any = document
        for part in reference.removeprefix("#/").split("/"):
            assert part in node, f"{path}: {reference} does not resolve"
            node = node[part]
    for schema in [*_schemas_in(document), *document.get("components", {}).get("schemas", {}).values()]:
        Draft202012Validator.check_schema(schema)


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """Validates against `schema`, resolving `#/components/...` in `document` (carried beside it)."""
    return Draft202012Validator({**schema, "components": document["components"]})


def _request_schema(path: str, method: str, media: str = "application/json") -> Draft202012Validator:
    document = _load("docs/openapi/checkout-platform.json")
    schema = document["paths"][path][method]["requestBody"]["content"][media]["schema"]
    return _validator(document, schema)


ADDRESS = {
    "first_name": "Ron",
    "last_name": "Swanson",
    "line_1": "1 Sun St",
    "postcode": "NE1",
    "country": "GB",
}


def test_the_request_schemas_accept_what_the_handlers_accept_and_refuse_what_they_refuse() -> None:
    checkout = _request_schema("/v2/carts/{ref}/checkout", "post")
    guest = {"customer": {"name": "Ron", "email": "ron@swanson.com"}, "billing_address": ADDRESS}
    assert checkout.is_valid({"data": guest})
    assert not checkout.is_valid({"data": {"customer": {"name": "Ron"}}})  # no billing address
    assert not checkout.is_valid({"customer": guest["customer"]})  # not wrapped in data

    add = _request_schema("/v2/carts/{ref}/items", "post")
    item = {"type": "cart_item", "id": "p-1", "quantity": 2}
    assert add.is_valid({"data": item})
    assert add.is_valid({"data": [item, {"type": "promotion_item", "code": "SAVE"}]})
    assert add.is_valid({"data": {"data": [item]}, "options": {"add_all_or_nothing": True}})
    assert not add.is_valid({"data": {**item, "quantity": 0}})
    assert not add.is_valid({"data": {"type": "gift", "quantity": 1}})

    capture = _request_schema("/v2/orders/{order_id}/transactions/{transaction_id}/capture", "post")
    assert capture.is_valid({}) and capture.is_valid({"data": {"amount": 100}})
    assert not capture.is_valid({"data": {"amount": 0}})

    token = _request_schema("/oauth/access_token", "post", "application/x-www-form-urlencoded")
    assert token.is_valid({"grant_type": "implicit", "client_id": "checkout-admin"})
    assert not token.is_valid({"grant_type": "password", "client_id": "checkout-admin"})


def test_operations_declare_the_bearer_token_and_elastic_path_errors() -> None:
    document = _load("docs/openapi/checkout-platform.json")
    assert document["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http",
        "description": document["components"]["securitySchemes"]["bearerToken"]["description"],
        "scheme": "bearer",
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            public = path in ("/oauth/access_token", "/v2/webhooks/stripe")
            assert ("security" in operation) is not public, (method, path)
            assert "422" not in operation["responses"] or operation["responses"]["422"]["content"][
                "application/json"
            ]["schema"] == {"$ref": "#/components/schemas/ErrorDocument"}, (method, path)
            assert operation["responses"]["4XX"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorDocument"
            }
    errors = _validator(document, {"$ref": "#/components/schemas/ErrorDocument"})
    assert errors.is_valid({"errors": [{"status": 400, "title": "format", "source": "data.customer.email"}]})
    assert not errors.is_valid({"errors": []})


def _operations(document: dict[str, Any], action: str) -> set[str]:
    channels = document["channels"]
    return {
        channels[operation["channel"]["$ref"].rsplit("/", 1)[-1]]["address"]
        for operation in document["operations"].values()
        if operation["action"] == action
    }


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_asyncapi_document_shows_what_the_service_subscribes_to_and_publishes(service: str) -> None:
    runtime = SERVICES[service].build("postgresql://unused/unused", "unused:9092", "")
    document = _load(f"docs/asyncapi/{service}.json")
    subscribed = {topic for consumer in runtime.consumers for topic in consumer.topics_with_prefix("")}
    assert _operations(document, "receive") == subscribed
    assert _operations(document, "send") == set(runtime.publishes) | ({"DeadLetter"} if subscribed else set())


def test_an_envelope_as_the_outbox_publishes_it_matches_the_documented_payload() -> None:
    """Both sides of CartCheckedOut: what cart sends and what order receives are the same schema."""
    money = Money(amount=1000, currency="USD")
    line = OrderLine(
        id="l1", product_id="p1", sku="SKU", name="Tee", quantity=1, unit_price=money, value=money
    )
    event = CartCheckedOut(
        cart_id="c1",
        order_id="o1",
        customer=Customer(name="Ron", email="ron@swanson.com"),
        billing_address=Address(**ADDRESS),
        shipping_address=Address(**ADDRESS),
        items=[line],
        totals=Totals(currency="USD", with_tax=1000, without_tax=1000),
        checked_out_at="2025-01-01T00:00:00Z",
    )
    envelope = Envelope.of(event, aggregate_id="o1", producer="cart", correlation_id="c").model_dump(
        mode="json"
    )
    for service in ("cart", "order"):
        document = _load(f"docs/asyncapi/{service}.json")
        messages = document["components"]["messages"]
        payloads = [m["payload"] for key, m in messages.items() if "CartCheckedOut" in key.split(":")]
        assert payloads, service
        for payload in payloads:
            validator = _validator(document, payload)
            assert validator.is_valid(envelope), service
            assert not validator.is_valid({**envelope, "event_type": "OrderCreated"})
            assert not validator.is_valid({**envelope, "data": {**envelope["data"], "order_id": None}})
