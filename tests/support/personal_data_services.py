"""Which services seal or open personal data: those whose app opens shared/privacy's `PersonalData`
(`with_personal_data` around its lifespan). A stack gives these, and only these, the master key and
the key table (PII_MASTER_KEY, PII_KEYS_DATABASE_URL): another service holding the master key would
only widen who could open every order's personal data."""

from __future__ import annotations

from pathlib import Path

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
PRIVACY_VARIABLES = ("PII_MASTER_KEY", "PII_KEYS_DATABASE_URL")
"""What `PersonalData.from_environ` reads (not a settings class's fields; PII_INDEX_KEY is optional)."""


def seals_personal_data(service: str) -> bool:
    """Whether the service's code names `with_personal_data` (called, or handed to `service_app` to
    wrap its lifespan)."""
    return any(
        "with_personal_data" in source.read_text() for source in (SERVICES_DIR / service).rglob("*.py")
    )
