"""A personal string field as it is stored and sent: `pii:v1:<subject>:<base64url>`.

A sealed value stays a string, so every type, contract and read model that held the clear field
holds the sealed one unchanged; it names its subject, so a reader knows which key opens it without
knowing the event. `ANONYMISED` is what Elastic Path shows for personal data once erased.
"""

from __future__ import annotations

import base64

from shared.privacy.cipher import decrypt, encrypt

PREFIX = "pii:v1:"
ANONYMISED = "*"


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def subject_of(value: str) -> str:
    """The subject whose key opens a sealed value (e.g. `order:<id>`)."""
    return value[len(PREFIX) :].rpartition(":")[0]


def seal(key: bytes, subject: str, text: str) -> str:
    """`text` encrypted under `subject`'s data key; an empty string stays empty (it says nothing)."""
    if not text:
        return text
    blob = encrypt(key, text.encode(), subject.encode())
    return f"{PREFIX}{subject}:{base64.urlsafe_b64encode(blob).decode().rstrip('=')}"


def unseal(key: bytes, value: str) -> str:
    """The clear text of a sealed value (CannotOpen with a wrong key)."""
    subject, _, encoded = value[len(PREFIX) :].rpartition(":")
    blob = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    return decrypt(key, blob, subject.encode()).decode()
