"""Correlation and causation ids carried through a request or a message and everything it causes.

The HTTP middleware and the Kafka consumer set them; the unit of work stamps them on every event
it appends or publishes; the JSON log formatter prints them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import uuid4

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id_var: ContextVar[str | None] = ContextVar("causation_id", default=None)


def current_correlation_id() -> str:
    """The id of the conversation this code runs in, starting a new one when there is none."""
    value = correlation_id_var.get()
    if value is None:
        value = str(uuid4())
        correlation_id_var.set(value)
    return value


def current_causation_id() -> str | None:
    return causation_id_var.get()


@contextmanager
def traced(correlation_id: str | None, causation_id: str | None = None) -> Iterator[None]:
    """Run a block as part of `correlation_id`, caused by `causation_id`."""
    c_token = correlation_id_var.set(correlation_id or str(uuid4()))
    k_token = causation_id_var.set(causation_id)
    try:
        yield
    finally:
        correlation_id_var.reset(c_token)
        causation_id_var.reset(k_token)
