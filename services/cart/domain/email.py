"""The seed's email rule: an address that begins or ends with a period, or has two in a row, is invalid."""

from __future__ import annotations

import re

# A deliberately plain shape check (local@domain.tld) plus the seed's period rules.
_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_valid_email(email: str) -> bool:
    if not email or email.startswith(".") or email.endswith(".") or ".." in email:
        return False
    if not _SHAPE.match(email):
        return False
    local, _, domain = email.rpartition("@")
    return not (
        local.startswith(".") or local.endswith(".") or domain.startswith(".") or domain.endswith(".")
    )
