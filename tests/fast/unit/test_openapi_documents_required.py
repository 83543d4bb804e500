"""Without Elastic Path's OpenAPI documents a validating test is skipped with its reason, unless
REQUIRE_EP_OPENAPI=1 (CI) says they must run: then it fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.openapi import REQUIRED, require_document


def test_a_missing_document_skips_and_says_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REQUIRED, raising=False)
    with pytest.raises(pytest.skip.Exception, match="elasticpath-openapi") as skipped:
        require_document("carts-orders.yaml", tmp_path)
    assert str(tmp_path / "carts-orders.yaml") in str(skipped.value)


def test_a_missing_document_fails_when_ci_requires_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REQUIRED, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRED}=1"):
        require_document("carts-orders.yaml", tmp_path)


def test_a_present_document_lets_the_test_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRED, "1")
    (tmp_path / "carts-orders.yaml").write_text("openapi: 3.1.0\n")
    require_document("carts-orders.yaml", tmp_path)  # neither skips nor fails
