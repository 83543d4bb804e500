"""What a command prints: a table for people, or `--json` for scripts, from the same rows.

Every listing command builds plain rows (dicts) once and hands them here, so the table and the
JSON cannot disagree: the table is the JSON's columns, formatted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Column:
    key: str
    width: int = 0
    right: bool = False
    limit: int | None = None
    """Cut the cell to this many characters in the table (the JSON keeps it whole)."""

    def cell(self, row: Row) -> str:
        value = row.get(self.key)
        text = "" if value is None else str(value)
        if self.limit is not None:
            text = text[: self.limit]
        return text.rjust(self.width) if self.right else text.ljust(self.width)

    def heading(self) -> str:
        return self.key.rjust(self.width) if self.right else self.key.ljust(self.width)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def to_json(value: Any, *, one_line: bool = False) -> str:
    """JSON with times as ISO 8601 and anything else unusual as its text; `one_line` for JSON Lines
    (one document per line, for commands that print one per item)."""
    return json.dumps(value, default=_plain, indent=None if one_line else 2, sort_keys=False)


def table(rows: Sequence[Row], columns: Sequence[Column], *, header: bool = True) -> str:
    lines = ["  ".join(c.heading() for c in columns).rstrip()] if header else []
    # Rows keep their padding: scripts written before --json look for " Type " with spaces round it.
    lines += ["  ".join(c.cell(row) for c in columns) for row in rows]
    return "\n".join(lines)


def emit(
    rows: Sequence[Row],
    columns: Sequence[Column],
    *,
    as_json: bool,
    footer: str | None = None,
    header: bool = True,
) -> None:
    """Print the rows as a table (and a footer line), or as a JSON array of objects."""
    if as_json:
        print(to_json(list(rows)))
        return
    print(table(rows, columns, header=header))
    if footer:
        print(footer)


def emit_object(value: Mapping[str, Any], text: str, *, as_json: bool) -> None:
    """One result: its text for people, or the object as JSON."""
    print(to_json(dict(value)) if as_json else text)
