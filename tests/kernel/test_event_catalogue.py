"""The README's event catalogue is the one generated from the contracts and the services' wiring."""

from __future__ import annotations

from pathlib import Path

from checkout_admin import catalogue

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_catalogue_is_generated_and_current() -> None:
    text = README.read_text()
    assert catalogue.START in text and catalogue.END in text
    assert catalogue.replace_in(text) == text, "run `checkout-admin catalogue --write-readme` and commit"


def test_every_integration_event_is_listed_with_its_payload() -> None:
    generated = catalogue.markdown()
    for event_type in ("CartCheckedOut", "OrderShipped", "StockLevelChanged", "PaymentCaptured"):
        assert f"`{event_type}` v1" in generated
    assert "`order_id`: string" in generated
