"""Customer passwords: the policy a new one must meet, and scrypt hashes that take the same work to
check whether or not the customer exists.

Hashing is CPU work of about 40 ms: callers run these functions off the event loop
(`services.cart.adapters.password_hasher`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

MIN_PASSWORD_LENGTH = 8
"""NIST SP 800-63B's minimum for a password the user chooses (Elastic Path documents none)."""
MAX_PASSWORD_LENGTH = 1000

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_PREFIX = "scrypt$"

NOBODYS_HASH = (
    "scrypt$84676eaad743bd69cbfbef1b45378f86$50b9978366c84f0cda498f3652feaba908ba3510dabe63dce9d8f3c26329926a"
)
"""The hash of a random password nobody knows (generated once, then forgotten). Checking a password
against it costs what checking a customer's costs, so an unknown email answers as slowly as a known
one; it is never a match, whatever the password."""


def hash_password(password: str) -> str:
    """scrypt with a random salt, stored as `scrypt$<salt hex>$<hash hex>`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"{_PREFIX}{salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`; None (no customer, or one without a password) or a
    malformed hash never matches, after the same scrypt work as a real check."""
    usable = stored is not None and stored.startswith(_PREFIX) and stored.count("$") == 2
    _, salt_hex, digest_hex = (stored if usable and stored else NOBODYS_HASH).split("$")
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex) and usable
