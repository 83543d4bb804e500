"""Structured logs: one JSON object per line, carrying the service and the correlation id.

The correlation id lets one follow a request or a message through every service it touches.
It lives in a ContextVar shared with `shared.tracing` (the unit of work stamps it on events, the
Kafka consumer restores it from headers, the HTTP middleware sets it per request), re-exported
here as `correlation_id` with small get/set helpers.
"""

from __future__ import annotations

import logging
import sys
from contextvars import Token
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from shared.settings import ServiceSettings
from shared.tracing import causation_id_var, correlation_id_var

correlation_id = correlation_id_var
"""The current correlation id (None outside a request or message); the same var as shared.tracing's."""

_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_NOISY = ("aiokafka", "kafka", "uvicorn.access")


def get_correlation_id() -> str | None:
    return correlation_id.get()


def set_correlation_id(value: str | None) -> Token[str | None]:
    """Set the id for the current context; pass the token to `reset_correlation_id` when done."""
    return correlation_id.set(value)


def reset_correlation_id(token: Token[str | None]) -> None:
    correlation_id.reset(token)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """What the caller passed as `extra=`: every attribute a plain LogRecord does not have."""
    return {k: v for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """`{"ts","level","logger","msg","service","correlation_id", ...extras}` on one line."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "service": self.service,
            "correlation_id": correlation_id.get(),
        }
        if (causation := causation_id_var.get()) is not None:
            entry["causation_id"] = causation
        for key, value in _extras(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: an odd extra (a UUID, a SecretStr, a model) degrades to text, never crashes.
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """For a human at a terminal (LOG_FORMAT=text): the same facts on one readable line."""

    def __init__(self, service: str) -> None:
        super().__init__("%(asctime)s %(levelname)s " + service + " %(name)s%(corr)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        current = correlation_id.get()
        record.__dict__["corr"] = f" [{current}]" if current else ""
        try:
            return super().format(record)
        finally:
            record.__dict__.pop("corr", None)


class _PlatformHandler(logging.StreamHandler[TextIO]):
    """Marks the handler we own, so configuring twice replaces it instead of doubling lines."""


def configure_logging(
    settings: ServiceSettings | str, *, level: str | None = None, fmt: str | None = None
) -> None:
    """Route the root logger to stderr, as JSON or text (LOG_FORMAT), at LOG_LEVEL.

    Pass the service's settings (this also warns about development secrets). The older form,
    a service name with `level`/`fmt`, still works. Handlers someone else installed are kept.
    """
    if isinstance(settings, ServiceSettings):
        service, level, fmt = settings.service_name, level or settings.log_level, fmt or settings.log_format
    else:
        service = settings
    handler = _PlatformHandler(sys.stderr)
    handler.setFormatter(TextFormatter(service) if fmt == "text" else JsonFormatter(service))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _PlatformHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel((level or "INFO").upper())
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    if isinstance(settings, ServiceSettings):
        settings.warn_about_defaults()
