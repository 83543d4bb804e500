"""How much one request may carry, so that no request can make a cart (or a promotion) heavy.

Every request the cart service keeps is bounded before anything is written: a cart's load cost
follows its size, and one unbounded request (a bulk update naming 16,000 items, a custom input of a
megabyte) once appended 16,000 events and slowed every later read of the cart.

Elastic Path's own limits where it documents them (carts-orders.yaml): a cart holds at most 100
unique items, and each custom input's text at most 255 characters. Where it documents none, this
service sets one (README, "Limits"): a bulk update names at most 100 items (a cart cannot hold more)
and each at most once; a line's `custom_inputs` hold at most 20 entries in all (counting the members
and list items of nested values; 20, like a cart's custom attributes in Elastic Path), nested at
most 3 levels deep; a promotion's `schema` at most 200 entries, 4 levels deep, and its per-currency
lists at most 50 currencies (a product's prices, too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

MAX_ITEMS_PER_REQUEST = 100
"""Items one bulk add or bulk update may name: Elastic Path's limit of unique items in a cart."""
MAX_TEXT = 255
"""Characters of a custom input's text (Elastic Path's limit), and of any key in a free-form object."""
MAX_CURRENCIES = 50
"""Per-currency entries of a product's prices or a promotion's amounts."""


@dataclass(frozen=True)
class FreeFormLimits:
    """Bounds of a free-form JSON object a client sends (an item's `custom_inputs`)."""

    entries: int
    """Members and list items in all, counted at every depth."""
    depth: int
    """Levels of objects and lists, the outermost object included."""
    text: int = MAX_TEXT
    """Characters of each key and each string value."""


CUSTOM_INPUTS = FreeFormLimits(entries=20, depth=3)
PROMOTION_SCHEMA = FreeFormLimits(entries=200, depth=4)


def free_form_problem(value: Any, limits: FreeFormLimits) -> tuple[str, str] | None:
    """The pydantic error type and message of the first bound `value` breaks; None within bounds.

    Walks at most `limits.entries` members and `limits.depth` levels before it stops, so checking a
    value of a megabyte costs no more than checking a small one (and no recursion: any depth is safe).
    """
    count = 0
    pending: list[tuple[Any, int, str]] = [(value, 1, "")]
    while pending:
        current, depth, path = pending.pop()
        if not isinstance(current, dict | list):
            if isinstance(current, str) and len(current) > limits.text:
                return "string_too_long", f"{path or 'the value'} is longer than {limits.text} characters"
            continue
        if depth > limits.depth:
            return "too_deep", f"{path} nests deeper than {limits.depth} levels"
        count += len(current)
        if count > limits.entries:
            return "too_long", f"at most {limits.entries} entries in all, nested ones included"
        members = current.items() if isinstance(current, dict) else enumerate(current)
        for key, member in members:
            if isinstance(key, str) and len(key) > limits.text:
                return "string_too_long", f"a key is longer than {limits.text} characters"
            pending.append((member, depth + 1, f"{path}.{key}" if path else str(key)))
    return None


def bounded(limits: FreeFormLimits) -> BeforeValidator:
    """A pydantic check that refuses a value beyond `limits` before pydantic copies any of it."""

    def check(value: Any) -> Any:
        problem = free_form_problem(value, limits) if isinstance(value, dict | list) else None
        if problem is not None:
            kind, detail = problem  # as context, not as the template: a client's key may hold braces
            raise PydanticCustomError(kind, "{detail}", {"detail": detail})
        return value

    return BeforeValidator(check)
