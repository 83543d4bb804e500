from uuid import uuid4

import pytest

from shared.privacy.master_keys import new_master_key

pytest_plugins = ["devstack.pytest_plugin"]


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    """What every service a module starts with `tests.e2e.conftest.service_fixture` gets besides its
    own settings; a module overrides it (the anonymisation test: the privacy keys)."""
    return {}


@pytest.fixture(scope="module")
def master_key() -> str:
    """A module's own `PII_MASTER_KEY`."""
    return new_master_key("k1")


@pytest.fixture(scope="module")
async def keys_dsn(postgres) -> str:
    """A module's own key table's database."""
    name = f"privacy_{uuid4().hex[:8]}"
    await postgres.create_database(name)
    return str(postgres.dsn(name))


@pytest.fixture(scope="module")
def privacy_env(master_key: str, keys_dsn: str) -> dict[str, str]:
    """What a service needs to seal personal data: a module that seals returns it as its `service_env`."""
    return {"PII_MASTER_KEY": master_key, "PII_KEYS_DATABASE_URL": keys_dsn}
