"""One JSON object per line, carrying the service, the correlation id and the caller's extras."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from uuid import UUID

import orjson
import pytest

from shared.logging import (
    JsonFormatter,
    configure_logging,
    correlation_id,
    get_correlation_id,
    reset_correlation_id,
    set_correlation_id,
)
from shared.tracing import correlation_id_var, traced
from tests.fast.unit.conftest import make_settings


def record(msg: str = "hello %s", *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("unit.logger", logging.INFO, __file__, 1, msg, args or ("world",), None)
    made.__dict__.update(extra)
    return made


def test_a_line_is_one_json_object_with_the_agreed_fields() -> None:
    token = set_correlation_id("corr-9")
    try:
        line = JsonFormatter("cart").format(record(order_id="o-1", amount=1500, id=UUID(int=1)))
    finally:
        reset_correlation_id(token)
    assert "\n" not in line
    entry = orjson.loads(line)
    assert entry["msg"] == "hello world" and entry["level"] == "info" and entry["logger"] == "unit.logger"
    assert entry["service"] == "cart" and entry["correlation_id"] == "corr-9"
    assert entry["ts"].endswith("+00:00")
    assert (entry["order_id"], entry["amount"], entry["id"]) == ("o-1", 1500, str(UUID(int=1)))


def test_outside_a_request_the_correlation_id_is_null() -> None:
    assert get_correlation_id() is None
    assert orjson.loads(JsonFormatter("cart").format(record()))["correlation_id"] is None


def test_the_helpers_and_tracing_share_one_context_var() -> None:
    assert correlation_id is correlation_id_var
    with traced("from-tracing", "cause-1"):
        assert get_correlation_id() == "from-tracing"
        entry = orjson.loads(JsonFormatter("cart").format(record()))
    assert entry["correlation_id"] == "from-tracing" and entry["causation_id"] == "cause-1"


def test_an_exception_is_logged_inside_the_line() -> None:
    try:
        raise ValueError("kaput")
    except ValueError:
        failing = logging.LogRecord("unit", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = orjson.loads(JsonFormatter("cart").format(failing))
    assert "ValueError: kaput" in entry["exc"] and entry["level"] == "error"


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_configure_logging_writes_json_lines_to_stderr(
    root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(service_name="payment", log_level="debug")
    configure_logging(settings)
    configure_logging(settings)  # twice: still one line per record
    with traced("corr-77"):
        logging.getLogger("unit.payment").debug("captured %d", 1500, extra={"order_id": "o-9"})

    lines = [line for line in capsys.readouterr().err.splitlines() if '"unit.payment"' in line]
    assert len(lines) == 1
    entry = orjson.loads(lines[0])
    assert entry["service"] == "payment" and entry["correlation_id"] == "corr-77"
    assert entry["msg"] == "captured 1500" and entry["order_id"] == "o-9" and entry["level"] == "debug"
    assert root_logger.level == logging.DEBUG


def test_text_format_is_for_humans(root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(make_settings(service_name="order", log_format="text"))
    with traced("corr-5"):
        logging.getLogger("unit.text").warning("careful")
    [line] = [line for line in capsys.readouterr().err.splitlines() if "unit.text" in line]
    assert "WARNING order unit.text [corr-5]: careful" in line


def test_the_older_call_form_still_works(
    root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("legacy", level="INFO", fmt="json")
    logging.getLogger("unit.legacy").info("hi")
    [line] = [line for line in capsys.readouterr().err.splitlines() if "unit.legacy" in line]
    assert orjson.loads(line)["service"] == "legacy"
