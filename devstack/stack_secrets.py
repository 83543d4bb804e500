"""The secrets a kept stack generates once and reuses: ``secrets.json`` in its data folder.

A token signed before ``make stop`` must still be accepted after ``make start``, an order id derived
before must still be derived the same way, and localstripe's webhooks must still verify, so the JWT,
order-id and webhook secrets are drawn at random on the first start of a data folder and read back on
every later one. The file is readable by its owner only. ``JWT_SECRET``, ``ORDER_ID_SECRET`` and
``STRIPE_WEBHOOK_SECRET`` in the environment still win for the run they are set in (and are not stored).
So does ``PII_MASTER_KEY``, the master key wrapping the personal-data keys (shared/privacy): kept like
the others, since losing it makes every order's customer and addresses unreadable.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from devstack.errors import DevstackError
from shared.privacy.master_keys import new_master_key

SECRETS_FILE = "secrets.json"


def new_jwt_secret() -> str:
    """A random JWT signing key (32 bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def new_order_id_secret() -> str:
    """A random key for the cart service's order ids."""
    return secrets.token_urlsafe(32)


def new_webhook_secret() -> str:
    """A random Stripe webhook signing secret, in Stripe's ``whsec_`` form."""
    return "whsec_" + secrets.token_hex(24)


def new_pii_master_key() -> str:
    """A random master key for personal data, as ``PII_MASTER_KEY`` carries it (``k1:<base64url>``)."""
    return new_master_key("k1")


_GENERATORS: dict[str, Callable[[], str]] = {
    "jwt_secret": new_jwt_secret,
    "order_id_secret": new_order_id_secret,
    "stripe_webhook_secret": new_webhook_secret,
    "pii_master_key": new_pii_master_key,
}


@dataclass(frozen=True)
class StackSecrets:
    """The generated secrets of one stack."""

    jwt_secret: str
    order_id_secret: str
    stripe_webhook_secret: str
    pii_master_key: str

    def __repr__(self) -> str:
        return "StackSecrets(<hidden>)"


def load_or_create(data_dir: Path) -> StackSecrets:
    """Read ``secrets.json`` from ``data_dir``, generating (and saving) whichever secret it lacks."""
    path = data_dir / SECRETS_FILE
    stored: dict[str, str] = {}
    if path.exists():
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise DevstackError(
                f"cannot read the stack's secrets from {path} ({exc}); fix or delete the file "
                "(deleting it invalidates every token and webhook signed so far)"
            ) from exc
        if isinstance(raw, dict):
            stored = {str(k): v for k, v in raw.items() if isinstance(v, str) and v}
    missing = {name: make() for name, make in _GENERATORS.items() if name not in stored}
    result = StackSecrets(**{name: stored.get(name) or missing[name] for name in _GENERATORS})
    if missing:
        _write_private(path, {**stored, **asdict(result)})
    return result


def _write_private(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secrets-", suffix=".json")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
