"""AES-256-GCM, the authenticated cipher behind both sealed fields and wrapped data keys.

The associated data binds a ciphertext to what it belongs to (the subject), so a value sealed for
one order cannot be pasted into another's event and read through that order's key.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class CannotOpen(ValueError):
    """The key is wrong or the ciphertext was tampered with (GCM's tag did not verify)."""


def encrypt(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    """`nonce || ciphertext+tag`, a fresh random nonce each time."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def decrypt(key: bytes, sealed: bytes, associated: bytes) -> bytes:
    """The plaintext of `encrypt`'s output, or CannotOpen."""
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)
    except (InvalidTag, ValueError) as exc:
        raise CannotOpen("the data key does not open this value") from exc
